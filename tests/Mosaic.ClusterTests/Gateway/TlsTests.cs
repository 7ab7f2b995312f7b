using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Gateway;

/// <summary>TLS through Kestrel's own configuration (README, "TLS"): a <c>mosaic serve</c> and a gateway with an HTTPS endpoint.</summary>
/// <remarks>The certificate is made here, self-signed for 127.0.0.1; clients trust exactly that certificate and nothing else.</remarks>
public sealed class TlsTests : IDisposable
{
    private const string Password = "mosaic-test";
    private readonly TempDirectory _dir = new("mosaic-tls");
    private readonly X509Certificate2 _certificate;
    private readonly string _pfx;

    public TlsTests()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _pfx = _dir.Combine("mosaic.pfx");
        File.WriteAllBytes(_pfx, _certificate.Export(X509ContentType.Pfx, Password));
    }

    [Fact]
    public async Task Serve_and_gateway_answer_over_https_with_the_configured_certificate_and_only_with_it()
    {
        int https = FreePort.Next();
        await using var serve = await MosaicProcess.StartServeAsync(_dir.Combine("data"), _dir.Combine("serve.log"), null, Https(https));
        using var client = TrustingOnly(_certificate);
        Assert.True(serve.LogText().Contains($"https://127.0.0.1:{https}", StringComparison.Ordinal), $"serve does not listen on https:\n{serve.LogTail()}");

        // Kestrel binds its endpoints one after another and serves each as soon as it is bound: the plain port can answer
        // /health while the HTTPS one is still loading its certificate.
        await Wait.WaitUntilAsync(
            async () =>
            {
                try
                {
                    return (await client.GetAsync($"https://127.0.0.1:{https}/health")).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException) when (!serve.HasExited)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            "GET /health over https");

        var created = await client.PutAsync($"https://127.0.0.1:{https}/collections/tls", new StringContent("""{"dimension": 2}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var written = await client.PutAsync($"https://127.0.0.1:{https}/collections/tls/docs/d1", new StringContent("""{"text": "over tls", "vector": [1, 0]}"""));
        Assert.Equal(HttpStatusCode.OK, written.StatusCode);
        var searched = await client.PostAsync($"https://127.0.0.1:{https}/collections/tls/search", new StringContent("""{"query": "tls"}"""));
        Assert.Equal(HttpStatusCode.OK, searched.StatusCode);
        var read = await client.GetAsync($"https://127.0.0.1:{https}/collections/tls/docs/d1");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains("over tls", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A client that trusts only the system's roots refuses the self-signed certificate: the TLS really is ours.
        using var strict = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAsync<HttpRequestException>(() => strict.GetAsync($"https://127.0.0.1:{https}/health"));

        // The gateway takes the same Kestrel settings, and forwards to the (plain HTTP) coordinator behind it.
        int gatewayHttps = FreePort.Next();
        int gatewayPort = FreePort.Next();
        await using var gateway = MosaicProcess.Start(
            ["gateway", "--port", gatewayPort.ToString(CultureInfo.InvariantCulture), "--backends", serve.BaseUrl, .. Https(gatewayHttps)], _dir.Combine("gateway.log"));
        await Wait.WaitUntilAsync(
            async () =>
            {
                try
                {
                    return (await client.GetAsync($"https://127.0.0.1:{gatewayHttps}/collections/tls/docs/d1")).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException) when (!gateway.HasExited)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            "GET through the gateway over https");
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _dir.Dispose();
    }

    private string[] Https(int port) =>
    [
        $"--Kestrel:Endpoints:Https:Url=https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
        $"--Kestrel:Endpoints:Https:Certificate:Path={_pfx}",
        $"--Kestrel:Endpoints:Https:Certificate:Password={Password}",
    ];

    private static HttpClient TrustingOnly(X509Certificate2 certificate) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString(),
        },
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };
}

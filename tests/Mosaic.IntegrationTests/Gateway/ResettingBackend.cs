using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mosaic.IntegrationTests.Gateway;

/// <summary>
/// A real HTTP/1.1 server on a loopback socket standing in for a coordinator behind the gateway: <c>/ready</c> and
/// <c>/health</c> answer 200, any other request answers 200 <c>{"node": name}</c>, except that while armed the next such
/// request is read whole and its connection reset (RST, SO_LINGER 0) before any byte of an answer, as a coordinator
/// killed mid-request does.
/// </summary>
/// <remarks>Every answer says <c>Connection: close</c>, so every request comes on a new connection and the gateway's HTTP
/// handler never retries on its own (it does so only for a reused connection).</remarks>
internal sealed class ResettingBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _resetsArmed;
    private int _resets;
    private int _served;

    public ResettingBackend(string name)
    {
        Name = name;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Name { get; }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Requests (other than health probes) whose connection was reset.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Requests (other than health probes) answered 200.</summary>
    public int Served => Volatile.Read(ref _served);

    /// <summary>The next <paramref name="count"/> requests (other than health probes) get their connection reset.</summary>
    public void ResetNext(int count = 1) => Interlocked.Exchange(ref _resetsArmed, count);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                string path = await ReadRequestAsync(socket);
                bool probe = path is "/ready" or "/health";
                if (!probe && TryTakeReset())
                {
                    Interlocked.Increment(ref _resets);
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                    return;
                }

                string body = probe ? """{"status":"ready"}""" : $$"""{"node":"{{Name}}"}""";
                byte[] answer = Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
                await socket.SendAsync(answer, SocketFlags.None, _stop.Token);
                if (!probe)
                {
                    Interlocked.Increment(ref _served);
                }

                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
            catch (SocketException)
            {
                // The gateway went away mid-request: nothing to answer.
            }
        }
    }

    private bool TryTakeReset()
    {
        while (true)
        {
            int armed = Volatile.Read(ref _resetsArmed);
            if (armed == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _resetsArmed, armed - 1, armed) == armed)
            {
                return true;
            }
        }
    }

    /// <summary>Reads the request line, the headers and a Content-Length body; returns the path.</summary>
    private async Task<string> ReadRequestAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfBlankLine(received)) < 0)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (n == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        string[] head = Encoding.ASCII.GetString([.. received.Take(headerEnd)]).Split("\r\n");
        int length = head.Skip(1)
            .Select(h => h.Split(':', 2))
            .Where(h => h.Length == 2 && h[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(h => int.Parse(h[1].Trim(), System.Globalization.CultureInfo.InvariantCulture))
            .FirstOrDefault();
        int bodyRead = received.Count - (headerEnd + 4);
        while (bodyRead < length)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (n == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            bodyRead += n;
        }

        return head[0].Split(' ')[1];
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (int i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

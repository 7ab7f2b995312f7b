using System.Net;
using System.Net.Sockets;

namespace Mosaic.Testing;

/// <summary>Allocates a TCP port on 127.0.0.1 that was free a moment ago (for child processes that need a port on their command line).</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

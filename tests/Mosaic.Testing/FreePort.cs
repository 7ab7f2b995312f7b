using System.Net;
using System.Net.Sockets;

namespace Mosaic.Testing;

/// <summary>Allocates a TCP port on 127.0.0.1 that was free a moment ago (for child processes that need a port on their command line).</summary>
/// <remarks>
/// The kernel may hand the same ephemeral port to two listeners opened one after the other (the first is closed before
/// the second asks), so a port this process has already given out is never given again: a worker once got its metrics
/// port equal to its main port and refused to start.
/// </remarks>
public static class FreePort
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        while (true)
        {
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
            }

            lock (Given)
            {
                if (Given.Add(port))
                {
                    return port;
                }
            }
        }
    }
}

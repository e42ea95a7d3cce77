using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ControlPlane.Tests.Gateway.Security;

/// <summary>
/// A raw HTTP/1.1 server on 127.0.0.1 whose answer each test writes byte by byte (redirects, oversized bodies, endless
/// lines), which a well-behaved fake cannot send. Every connection gets one answer and is closed.
/// </summary>
public sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Task _loop;

    private ScriptedUpstream()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = AcceptAsync();
    }

    public static ScriptedUpstream Start() => new();

    public int Port { get; }
    public string Origin => $"http://127.0.0.1:{Port}";

    /// <summary>The head (request line and headers) of every request received.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    /// <summary>Writes the answer to one request.</summary>
    public Func<Stream, CancellationToken, Task> Answer { get; set; } = (s, ct) => ReplyAsync(s, 404, "text/plain", "no answer scripted"u8.ToArray(), ct);

    public static async Task ReplyAsync(Stream stream, int status, string contentType, byte[] body, CancellationToken ct, string? extraHeaders = null, bool declareLength = true)
    {
        var head = $"HTTP/1.1 {status} {Reason(status)}\r\nContent-Type: {contentType}\r\nConnection: close\r\n"
            + (declareLength ? $"Content-Length: {body.Length}\r\n" : "") + (extraHeaders ?? "") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await stream.WriteAsync(body, ct);
        await stream.FlushAsync(ct);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK", 302 => "Found", 401 => "Unauthorized", 404 => "Not Found", _ => "Status",
    };

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream, _stop.Token);
                _requests.Enqueue(head);
                var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
                var body = new byte[length];
                await stream.ReadExactlyAsync(body, _stop.Token);
                await Answer(stream, _stop.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                // the gateway hung up (e.g. after the size bound): nothing more to write
            }
        }
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream, CancellationToken ct)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, ct) == 0) break;
            head.Add(one[0]);
        }
        return Encoding.ASCII.GetString([.. head]);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>
/// A loopback port that listens and never accepts: a connection to it would sit in the kernel's backlog, so
/// <see cref="ReceivedConnection"/> tells, at once and without waiting, whether anything connected.
/// </summary>
public sealed class SilentListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public SilentListener()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    public int Port { get; }
    public string Origin => $"http://127.0.0.1:{Port}";

    public bool ReceivedConnection => _listener.Pending();

    public void Dispose() => _listener.Stop();
}

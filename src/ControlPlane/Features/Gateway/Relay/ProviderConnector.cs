using System.Net;
using System.Net.Sockets;
using ControlPlane.Features.Gateway.Providers;

namespace ControlPlane.Features.Gateway.Relay;

/// <summary>Resolves a provider's host name; replaced in tests so that nothing is looked up outside the machine.</summary>
public interface IProviderHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

/// <summary>The system resolver.</summary>
public sealed class DnsProviderHostResolver : IProviderHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);
}

/// <summary>A connection the address policy refused: no socket was opened.</summary>
public sealed class ProviderAddressRefusedException(string message) : IOException(message)
{
    /// <summary>The refusal inside whatever HttpClient wrapped it in, or null.</summary>
    public static ProviderAddressRefusedException? In(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is ProviderAddressRefusedException refused) return refused;
        return null;
    }
}

/// <summary>
/// The ConnectCallback of every provider client: resolves the host once, checks every address against
/// <see cref="ProviderAddressPolicy"/>, and connects only to those checked addresses, so a name that resolves to a
/// public address when saved and to the metadata endpoint at call time (DNS rebinding) is refused before any socket
/// is opened. One refused address refuses the host: an answer that mixes public and internal addresses is suspect.
/// </summary>
public sealed class ProviderConnector(ProviderAddressPolicy policy, IProviderHostResolver resolver)
{
    /// <summary>Opens the TCP connection to checked addresses; tests wrap it to record (and fence) what is opened.</summary>
    public Func<IPAddress[], int, CancellationToken, ValueTask<Stream>> Open { get; init; } = OpenSocketAsync;

    /// <summary>
    /// The handler for outward calls made for an admin's configuration rather than a gateway call (webhooks, Slack and
    /// Teams, providers' billing APIs): connects only to checked addresses and follows no redirect, which would be a
    /// second, unchecked URL (and would carry custom key headers such as Anthropic's <c>x-api-key</c> along).
    /// </summary>
    public static SocketsHttpHandler CheckedHandler(IServiceProvider services) => new()
    {
        ConnectCallback = new ProviderConnector(services.GetRequiredService<ProviderAddressPolicy>(), services.GetRequiredService<IProviderHostResolver>()).ConnectAsync,
        AllowAutoRedirect = false,
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = ProviderAddressPolicy.HostOf(context.DnsEndPoint.Host);
        var port = context.DnsEndPoint.Port;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await resolver.ResolveAsync(host, ct);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        foreach (var address in addresses)
            if (policy.Check(host, address, port) is { } refused) throw new ProviderAddressRefusedException(refused);
        return await Open(addresses, port, ct);
    }

    public static async ValueTask<Stream> OpenSocketAsync(IPAddress[] addresses, int port, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

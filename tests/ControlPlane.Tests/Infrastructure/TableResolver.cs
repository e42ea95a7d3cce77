using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ControlPlane.Features.Gateway.Relay;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>
/// Answers host lookups from a table; a name not in it does not resolve and is never asked of DNS. Every test host
/// uses one (AppFactory), so a test never looks up a name outside the machine, such as the demo's provider hosts.
/// </summary>
public sealed class TableResolver : IProviderHostResolver
{
    private readonly ConcurrentDictionary<string, IPAddress[]> _table = new(StringComparer.OrdinalIgnoreCase) { ["localhost"] = [IPAddress.Loopback] };
    private readonly ConcurrentDictionary<string, int> _lookups = new(StringComparer.OrdinalIgnoreCase);

    public void Map(string host, params string[] addresses) => _table[host] = [.. addresses.Select(IPAddress.Parse)];

    public int Lookups(string host) => _lookups.GetValueOrDefault(host);

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        _lookups.AddOrUpdate(host, 1, (_, n) => n + 1);
        return _table.TryGetValue(host, out var found) ? Task.FromResult(found) : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
    }
}

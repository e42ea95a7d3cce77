using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>
/// Where the gateway may send a provider call (and its API key). Addresses inside the networks an attacker could aim at
/// from here (loopback, link-local with the cloud metadata endpoints, private, carrier-grade NAT, unspecified,
/// multicast, reserved) are refused unless the operator names them in <c>Gateway:AllowedProviderAddresses</c> (e.g.
/// <c>127.0.0.1:11434</c> for a local Ollama). Checked when a provider is saved (its URL as typed) and again at
/// connect time against every address its host resolves to, so a name that later resolves inward is still refused.
/// </summary>
public sealed class ProviderAddressPolicy
{
    public const string Setting = GatewayOptions.Section + ":" + nameof(GatewayOptions.AllowedProviderAddresses);

    private static readonly (IPNetwork Network, string Name)[] Denied =
    [
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local, where cloud metadata endpoints live"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("fc00::/7"), "private (unique local)"),
        (IPNetwork.Parse("fec0::/10"), "private (site-local)"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT"),
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
    ];

    /// <summary>Names that reach a cloud's metadata service (instance credentials) without looking like an address.</summary>
    private static readonly HashSet<string> MetadataHosts = new(StringComparer.OrdinalIgnoreCase)
    {
        "metadata", "metadata.google.internal", "metadata.goog", "metadata.azure.internal", "instance-data",
        "instance-data.ec2.internal", "metadata.tencentyun.com", "metadata.platformequinix.com",
    };

    private readonly IReadOnlyList<AllowedProviderAddress> _allowed;

    public ProviderAddressPolicy(IOptions<GatewayOptions> options) : this(options.Value.AllowedProviderAddresses)
    {
    }

    public ProviderAddressPolicy(IEnumerable<string> allowed) =>
        _allowed = [.. allowed.Select(entry => AllowedProviderAddress.TryParse(entry, out var parsed, out var problem)
            ? parsed : throw new ArgumentException($"{Setting}: {problem}", nameof(allowed)))];

    /// <summary>Checks a provider URL as typed or configured, without resolving it: null when it may be saved.</summary>
    public string? CheckUrl(Uri url)
    {
        var host = HostOf(url.IdnHost);
        var port = url.Port;
        if (_allowed.Any(a => a.AllowsHost(host, port))) return null;
        if (IPAddress.TryParse(host, out var address)) return Check(host, address, port);
        return NameProblem(host, port);
    }

    /// <summary>Checks one address a host resolved to (or its literal address): null when a connection may be opened.</summary>
    public string? Check(string host, IPAddress address, int port)
    {
        host = HostOf(host);
        if (_allowed.Any(a => a.AllowsHost(host, port) || a.AllowsAddress(address, port))) return null;
        if (NameProblem(host, port) is { } named) return named;
        if (RangeOf(address) is not { } range) return null;
        var shown = IPAddress.TryParse(host, out _) ? $"{address}" : $"{host} resolves to {address}, which";
        return $"{shown} is {range.Name} ({range.Network}); provider calls may not go there unless {Setting} allows it, "
            + $"e.g. \"{Example(address, port)}\".";
    }

    /// <summary>The denied range an address falls in (IPv4 inside IPv6 forms is checked as IPv4), or null.</summary>
    public static (IPNetwork Network, string Name)? RangeOf(IPAddress address)
    {
        foreach (var candidate in Forms(address))
            foreach (var range in Denied)
                if (range.Network.Contains(candidate)) return range;
        return null;
    }

    private static string? NameProblem(string host, int port)
    {
        if (MetadataHosts.Contains(host))
            return $"{host} is a cloud metadata host; provider calls may not go there unless {Setting} names it.";
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return $"{host} is loopback; provider calls may not go there unless {Setting} allows it, e.g. \"127.0.0.1:{port}\" (and use that address in the URL).";
        return null;
    }

    /// <summary>An address as itself, and the IPv4 address carried inside an IPv4-mapped, NAT64 or 6to4 IPv6 address.</summary>
    private static IEnumerable<IPAddress> Forms(IPAddress address)
    {
        yield return address;
        if (address.AddressFamily != AddressFamily.InterNetworkV6) yield break;
        if (address.IsIPv4MappedToIPv6)
        {
            yield return address.MapToIPv4();
            yield break;
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes[4..12].IndexOfAnyExcept((byte)0) < 0)
            yield return new IPAddress(bytes[12..]); // NAT64 64:ff9b::/96
        else if (bytes[0] == 0x20 && bytes[1] == 0x02)
            yield return new IPAddress(bytes[2..6]); // 6to4 2002::/16
    }

    private static string Example(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    internal static string HostOf(string host) => host.Trim('[', ']').TrimEnd('.');
}

/// <summary>
/// One entry of <c>Gateway:AllowedProviderAddresses</c>: an address or CIDR range (<c>127.0.0.1</c>, <c>10.0.0.0/8</c>,
/// <c>fd00::/8</c>) or a host name (<c>ollama.internal</c>), optionally with a port (<c>127.0.0.1:11434</c>,
/// <c>[::1]:8000</c>, <c>ollama.internal:11434</c>). A named host is trusted whatever it resolves to: its DNS is the
/// operator's.
/// </summary>
public sealed record AllowedProviderAddress(IPNetwork? Network, string? Host, int? Port)
{
    public bool AllowsAddress(IPAddress address, int port) =>
        Network is { } network && (Port is null || Port == port)
        && (network.Contains(address) || (address.IsIPv4MappedToIPv6 && network.Contains(address.MapToIPv4())));

    public bool AllowsHost(string host, int port) =>
        Host is { } name && (Port is null || Port == port) && string.Equals(name, host, StringComparison.OrdinalIgnoreCase);

    public static bool TryParse(string? entry, out AllowedProviderAddress parsed, out string? problem)
    {
        parsed = default!;
        problem = null;
        var text = entry?.Trim() ?? "";
        string target;
        string? portText = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return Fail(out problem, text);
            target = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') return Fail(out problem, text);
                portText = rest[1..];
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            (target, portText) = (text[..colon], text[(colon + 1)..]);
        }
        else
        {
            target = text;
        }
        int? port = null;
        if (portText is not null)
        {
            if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                return Fail(out problem, text);
            port = p;
        }
        if (target.Contains('/', StringComparison.Ordinal))
        {
            if (!IPNetwork.TryParse(target, out var network)) return Fail(out problem, text);
            parsed = new AllowedProviderAddress(network, null, port);
            return true;
        }
        if (IPAddress.TryParse(target, out var address))
        {
            parsed = new AllowedProviderAddress(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), null, port);
            return true;
        }
        if (target.Length > 0 && Uri.CheckHostName(target) == UriHostNameType.Dns)
        {
            parsed = new AllowedProviderAddress(null, ProviderAddressPolicy.HostOf(target), port);
            return true;
        }
        return Fail(out problem, text);
    }

    private static bool Fail(out string? problem, string text)
    {
        problem = $"'{text}' is not an address, CIDR range or host name with an optional port (e.g. 127.0.0.1:11434, 10.0.0.0/8, [::1]:8000, ollama.internal).";
        return false;
    }
}

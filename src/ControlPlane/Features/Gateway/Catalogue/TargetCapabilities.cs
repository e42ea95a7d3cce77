using System.Net;
using ControlPlane.Features.Gateway.Providers;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>
/// What one model target can do, as routing rules read it: the alias's values unless the target states its own
/// (the capability registry on the Models page). <see cref="ContextWindow"/> 0 means not stated (fits anything).
/// </summary>
public sealed record TargetCapabilities(int ContextWindow, bool Tools, bool Vision, bool JsonMode, bool StreamingUsage, string? Region, bool SelfHosted)
{
    /// <summary>A target nobody described: no constraint on size, every feature assumed, no region, hosted.</summary>
    public static TargetCapabilities Unstated { get; } = new(0, true, true, true, true, null, false);

    public bool Fits(long inputTokens) => ContextWindow <= 0 || inputTokens <= ContextWindow;

    public bool InRegion(string region) => Region is not null && string.Equals(Region, region, StringComparison.OrdinalIgnoreCase);

    /// <summary>"128k ctx, tools, vision, json, usage, eu, self-hosted": short enough for a reason or a table cell.</summary>
    public string Describe() =>
        string.Join(", ", new[]
        {
            ContextWindow > 0 ? $"{ContextWindow / 1000}k ctx" : null,
            Tools ? "tools" : null, Vision ? "vision" : null, JsonMode ? "json" : null, StreamingUsage ? "stream usage" : null,
            Region ?? "no region", SelfHosted ? "self-hosted" : "hosted",
        }.Where(s => s is not null));

    public static TargetCapabilities Of(CatalogModel model, ModelTarget target, ProviderEndpoint provider) => new(
        target.ContextWindow ?? model.ContextWindow, target.SupportsTools ?? model.SupportsTools, target.SupportsVision ?? model.SupportsVision,
        target.JsonMode, target.StreamingUsage, string.IsNullOrWhiteSpace(target.Region) ? null : target.Region.Trim().ToLowerInvariant(),
        target.SelfHosted ?? Derive(provider.Kind, provider.BaseUrl));

    /// <summary>
    /// Self-hosted unless told otherwise: an OpenAI-compatible provider (Ollama, vLLM, llama.cpp) on a loopback or private
    /// address, a <c>.local</c> / <c>.internal</c> / <c>.lan</c> name, or Ollama's port. Hosted APIs are never derived local.
    /// </summary>
    public static bool Derive(string kind, Uri baseUrl)
    {
        if (kind != ProviderKinds.OpenAI) return false;
        if (baseUrl.Port == 11434) return true;
        var host = baseUrl.Host;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".local", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".internal", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".lan", StringComparison.OrdinalIgnoreCase)) return true;
        if (!IPAddress.TryParse(baseUrl.IdnHost.Trim('[', ']'), out var ip)) return false;
        if (IPAddress.IsLoopback(ip)) return true;
        var b = ip.GetAddressBytes();
        return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? b[0] == 10 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168)
            : ip.IsIPv6UniqueLocal || ip.IsIPv6LinkLocal;
    }
}

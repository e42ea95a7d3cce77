using System.Diagnostics;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// One call's state on its way through the gateway, carried as an HttpContext feature from the first middleware
/// (request id) through authentication (the key) to the handler (everything else).
/// </summary>
public sealed class GatewayCall
{
    public const string RequestIdHeader = "X-Request-Id";
    public const string CallerHeader = "X-ControlPlane-Caller";

    private readonly long _startedTimestamp = Stopwatch.GetTimestamp();

    public GatewayCall(HttpContext http, DateTime now)
    {
        Record = new CallRecord
        {
            Id = Guid.CreateVersion7(),
            At = now,
            Endpoint = EndpointOf(http.Request.Path),
            Caller = Truncate(http.Request.Headers[CallerHeader].ToString(), CallText.CallerMax),
            RequestBytes = http.Request.ContentLength ?? 0,
        };
        RequestId = $"req_{Record.Id:N}";
        FrontDoor = Record.Endpoint == "messages" ? WireFormat.AnthropicMessages : WireFormat.OpenAIChat;
    }

    public string RequestId { get; }
    public WireFormat FrontDoor { get; }
    public CallRecord Record { get; }
    public KeyEntry? Key { get; private set; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startedTimestamp);

    /// <summary>The cheaper alias the call went to because a wallet's money was gone (Downgrade policy).</summary>
    public string? DowngradedTo { get; set; }

    /// <summary>The call's span when traces are recorded (<see cref="GatewayTracing"/>), else null.</summary>
    public Activity? Span { get; set; }

    /// <summary>The providers this call failed over from and why, in order; null until the first (the rare path).</summary>
    public List<(string Provider, string ErrorClass)>? FailedOver { get; private set; }

    /// <summary>The call leaves <paramref name="provider"/> for its next target: counted in the metrics, an event on the span.</summary>
    public void FailOver(string provider, string errorClass)
    {
        (FailedOver ??= []).Add((provider, errorClass));
        GatewayTracing.FailedOver(this, provider, errorClass);
    }

    /// <summary>Most of a prompt or completion that is kept, for teams that keep them.</summary>
    public const int KeptPayloadLimit = 1024 * 1024;

    /// <summary>True when the key's team keeps prompts and completions (off by default).</summary>
    public bool KeepsPayloads => Key?.KeepPayloadsDays is > 0;

    /// <summary>The answer is captured into <see cref="ResponseText"/> even when payloads are not kept (a shadow test compares it; it is not stored).</summary>
    public bool CapturesAnswer { get; set; }

    /// <summary>The prompt and completion as the caller sent and received them, captured only when <see cref="KeepsPayloads"/>.</summary>
    public string? RequestText { get; set; }
    public string? ResponseText { get; set; }

    /// <summary>The payload row to keep with the call, or null.</summary>
    public CallPayload? Payload(DateTime now) =>
        KeepsPayloads && RequestText is not null
            ? new CallPayload { CallId = Record.Id, Request = RequestText, Response = ResponseText ?? "", ExpiresAt = now.AddDays(Key!.KeepPayloadsDays!.Value) }
            : null;

    /// <summary>UTF-8 text of at most <see cref="KeptPayloadLimit"/> bytes (cut on a character boundary).</summary>
    public static string Capped(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length <= KeptPayloadLimit) return System.Text.Encoding.UTF8.GetString(utf8);
        var end = KeptPayloadLimit;
        while (end > 0 && (utf8[end] & 0xC0) == 0x80) end--; // do not split a multi-byte character
        return System.Text.Encoding.UTF8.GetString(utf8[..end]) + "…";
    }

    public void Admit(KeyEntry key)
    {
        Key = key;
        Record.KeyId = key.Id;
        Record.TeamId = key.TeamId;
    }

    public static GatewayCall Of(HttpContext http) =>
        http.Features.Get<GatewayCall>() ?? throw new InvalidOperationException("The gateway middleware did not run for this request.");

    internal static string EndpointOf(PathString path) =>
        path.StartsWithSegments("/v1/messages") ? "messages"
        : path.StartsWithSegments("/v1/embeddings") ? "embeddings"
        : path.StartsWithSegments("/v1/models") ? "models"
        : "chat";

    /// <summary>Caller-controlled text as the row may keep it: cleaned of what the database refuses, and capped.</summary>
    internal static string? Truncate(string? value, int max) => CallText.Clip(value, max);
}

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
            Caller = Truncate(http.Request.Headers[CallerHeader].ToString(), 200),
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

    internal static string? Truncate(string? value, int max) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= max ? value : value[..max];
}

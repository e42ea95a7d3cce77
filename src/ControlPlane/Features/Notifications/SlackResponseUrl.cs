using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Features.Gateway.Providers;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// Replaces a transfer request's Slack message after an approve / reject button, through the interaction's
/// <c>response_url</c>: the original blocks (the numbers) without the buttons, and a line saying who decided and how.
/// The URL comes from the (signed) payload but still passes the notifications' address rule and client
/// (<see cref="WebhookAddresses"/>): checked as given, then again at connect time. A failure is logged, never thrown:
/// the decision itself is made and the clicker is told in the button's own reply.
/// </summary>
public sealed partial class SlackResponseUrl(IHttpClientFactory http, ProviderAddressPolicy addresses, IOptions<NotificationOptions> options,
    ILogger<SlackResponseUrl> logger)
{
    public async Task ReplaceDecidedAsync(JsonElement payload, string state, string decidedBy, string outcome, CancellationToken ct)
    {
        if (!payload.TryGetProperty("response_url", out var property) || property.GetString() is not { } text) return;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || (url.Scheme == "http" && !url.IsLoopback))
        {
            LogRefused(logger, "it is not an https URL");
            return;
        }
        if (WebhookAddresses.Problem(addresses, url) is { } refused)
        {
            LogRefused(logger, refused);
            return;
        }
        var json = Message(payload, state, decidedBy, outcome).ToJsonString();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Slack waits about 3 s for the button's own answer, which is sent after this.
        timeout.CancelAfter(options.Value.SendTimeout < TimeSpan.FromSeconds(2) ? options.Value.SendTimeout : TimeSpan.FromSeconds(2));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            using var response = await http.CreateClient(ChannelSender.HttpClientName).SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode) LogFailed(logger, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || ex is OperationCanceledException && !ct.IsCancellationRequested)
        {
            LogFailed(logger, Gateway.Relay.ProviderAddressRefusedException.In(ex)?.Message ?? ex.GetType().Name);
        }
    }

    /// <summary>
    /// The replacement: Slack's <c>replace_original</c> with the original message's blocks except its actions (the
    /// buttons), then a context line "Approved by fiona in Slack: …".
    /// </summary>
    public static JsonObject Message(JsonElement payload, string state, string decidedBy, string outcome)
    {
        var decided = $"{state} by {decidedBy} in Slack: {outcome}";
        var blocks = new JsonArray();
        if (payload.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
            && message.TryGetProperty("blocks", out var original) && original.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in original.EnumerateArray())
                if (!(block.TryGetProperty("type", out var type) && type.GetString() == "actions"))
                    blocks.Add(JsonNode.Parse(block.GetRawText()));
        }
        blocks.Add(new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{state}* by {decidedBy} in Slack: {outcome}" }),
        });
        return new JsonObject { ["replace_original"] = true, ["text"] = decided, ["blocks"] = blocks };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack response_url not used: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Updating the Slack message through response_url failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Limits;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Routing;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// POST /v1/embeddings (OpenAI's format) to OpenAI-compatible and Azure OpenAI providers. Embeddings produce no
/// output tokens; the input is metered from the provider's <c>usage.prompt_tokens</c>. Refusals, failures and
/// settlement are the chat relay's (GatewayErrors, CallSettlement), so both doors behave alike.
/// </summary>
public sealed class EmbeddingsRelay(RouteSelector routes, ProviderClients clients, ISpendGuard spend, CallSettlement settle, CallLimiter limits, IOptions<GatewayOptions> options)
{
    public async Task HandleAsync(HttpContext http)
    {
        var call = GatewayCall.Of(http);
        var settlement = new Settlement();
        try
        {
            await RunAsync(http, call, settlement);
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            call.Record.Status = 499;
            call.Record.ErrorClass ??= "client_disconnected";
        }
        catch (OperationCanceledException)
        {
            await GatewayErrors.RefuseAsync(http, call, new WireError(504, "api_error", "The provider did not answer within the call's time limit."), "upstream_timeout");
        }
        catch (JsonException)
        {
            await GatewayErrors.RefuseAsync(http, call, new WireError(502, "api_error", $"The provider {call.Record.ProviderName} answered with something that is not its API's JSON."), "upstream_bad_body");
        }
        finally
        {
            await settle.FinishAsync(call, settlement);
        }
    }

    private async Task RunAsync(HttpContext http, GatewayCall call, Settlement settlement)
    {
        var record = call.Record;
        using var body = await RequestBody.ReadAsync(http.Request, options.Value.MaxRequestBytes, http.RequestAborted);
        record.RequestBytes = body.Length;
        if (body.ClientGone)
        {
            record.Status = 499;
            record.ErrorClass = "client_disconnected";
            return;
        }
        if (body.TooLarge)
        {
            await GatewayErrors.RefuseAsync(http, call, new WireError(413, "invalid_request_error", $"The request body is larger than {options.Value.MaxRequestBytes:N0} bytes."), "request_too_large");
            return;
        }
        if (Inspect(body.Span) is not { } request)
        {
            await GatewayErrors.RefuseAsync(http, call, new WireError(400, "invalid_request_error", "The body must be a JSON object with a string 'model' and an 'input' (a string or an array).", Param: "input"), "bad_request");
            return;
        }
        var (json, info) = request;
        if (call.KeepsPayloads) call.RequestText = GatewayCall.Capped(body.Span);
        record.ModelRequested = GatewayCall.Truncate(info.Model, 200);
        record.EndUser = GatewayCall.Truncate(info.EndUser, 200);
        if (limits.TryAdmit(call, info) is { } limited)
        {
            await limited.RefuseAsync(http, call);
            return;
        }
        var (plan, refusal) = routes.Plan(http, call, info with { MaxOutputTokens = 0 }, body.Span, ModelKinds.Embedding);
        if (refusal is not null)
        {
            await GatewayErrors.RefuseAsync(http, call, refusal.Error, refusal.ErrorClass);
            return;
        }
        var (target, rate) = plan!.Targets[0];
        if (target.Provider.Kind is not (ProviderKinds.OpenAI or ProviderKinds.AzureOpenAI))
        {
            await GatewayErrors.RefuseAsync(http, call, new WireError(400, "invalid_request_error", $"'{info.Model}' is served by a {target.Provider.Kind} provider; embeddings go to OpenAI-compatible providers only.", Param: "model"), "wrong_model_kind");
            return;
        }
        if (await settle.RefuseIfUnrecordableAsync(http, call)) return;
        var (hold, holdRefused) = await spend.HoldAsync(call.Key!, plan.WorstCaseCost, http.RequestAborted);
        settlement.Hold = hold;
        if (holdRefused is not null)
        {
            await GatewayErrors.RefuseBudgetAsync(http, call, holdRefused);
            return;
        }

        json["model"] = target.UpstreamModel;
        var providerBody = JsonSerializer.SerializeToUtf8Bytes(json);
        record.ProviderId = target.Provider.Id;
        record.ProviderName = target.Provider.Name;
        record.ModelServed = target.UpstreamModel;
        record.RouteReason = GatewayCall.Truncate(plan.Reason, CallText.RouteReasonMax);
        using var total = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        total.CancelAfter(target.Provider.TotalTimeout);
        var attempts = new ProviderAttempts();
        SendOutcome outcome;
        try
        {
            outcome = await clients.SendAsync(target.Provider, attempts, () => ProviderRequests.Embeddings(target, providerBody), total.Token);
        }
        finally
        {
            // Also when the client left or the call's time ran out while the provider was working on it.
            settlement.ChargeUnanswered(attempts, target.Provider, info, rate);
        }
        record.Retries = outcome.Retries;
        using var response = outcome.Response;
        if (!outcome.Succeeded)
        {
            var (error, errorClass, retryAfter) = await GatewayErrors.DescribeFailureAsync(outcome, target.Provider.Name, WireFormat.OpenAIChat, total.Token);
            if (retryAfter is { } wait) http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await GatewayErrors.RefuseAsync(http, call, error, errorClass);
            return;
        }

        // The provider answered: its input is owed even if the client leaves before the body is read.
        settlement.Metered = Metered.Unanswered(info, rate);
        byte[] answerBytes;
        try
        {
            answerBytes = await GatewayErrors.ReadCappedAsync(response!, options.Value.MaxProviderEmbeddingsBytes, total.Token);
        }
        catch (OversizedAnswerException ex)
        {
            // Charged its input (above): embeddings have no output tokens, and the provider did the work.
            await GatewayErrors.RefuseAsync(http, call, new WireError(502, "api_error",
                $"The provider {target.Provider.Name} answered with more than {ex.Limit:N0} bytes, more than ControlPlane reads ({nameof(GatewayOptions.MaxProviderEmbeddingsBytes)}); the answer was not relayed."), "upstream_too_large");
            return;
        }
        var answer = JsonNode.Parse(answerBytes) as JsonObject;
        var metered = settlement.Metered = answer?["usage"]?["prompt_tokens"] is JsonValue tokens && tokens.TryGetValue<long>(out var promptTokens)
            ? Metered.Reported(new TokenUsage(promptTokens, 0, 0), rate)
            : Metered.Estimate(info, 0, rate);
        if (answer is not null) answer["model"] = info.Model;
        var bytes = answer is null ? [] : JsonSerializer.SerializeToUtf8Bytes(answer);
        record.Status = 200;
        record.ResponseBytes = bytes.Length;
        http.Response.ContentType = "application/json";
        http.Response.Headers[ChatRelay.CostHeader] = metered.Cost.ToString(CultureInfo.InvariantCulture);
        // Billed before it is written: a client that leaves now still pays for what the provider did.
        try
        {
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            record.Status = 499;
            record.ErrorClass = "client_disconnected";
        }
    }

    private static (JsonObject Json, RequestInfo Info)? Inspect(ReadOnlySpan<byte> body)
    {
        try
        {
            if (JsonNode.Parse(body) is not JsonObject json || json["model"] is not JsonValue model || !model.TryGetValue<string>(out var name) || name.Length == 0)
                return null;
            var characters = json["input"] switch
            {
                JsonValue text when text.TryGetValue<string>(out var s) => s.Length,
                JsonArray items when items.Count > 0 => items.Sum(i => i is JsonValue v && v.TryGetValue<string>(out var s) ? s.Length : 4 * ((i as JsonArray)?.Count ?? 1)),
                _ => -1,
            };
            if (characters < 0) return null;
            var user = json["user"] is JsonValue u && u.TryGetValue<string>(out var who) ? who : null;
            return (json, new RequestInfo(name, false, 0, user, (characters + 3) / 4, false, false));
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Limits;
using ControlPlane.Features.Metering;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// POST /v1/embeddings (OpenAI's format) to OpenAI-compatible and Azure OpenAI providers. Embeddings produce no
/// output tokens; the input is metered from the provider's <c>usage.prompt_tokens</c>.
/// </summary>
public sealed class EmbeddingsRelay(GatewayCatalog catalog, ProviderClients clients, ISpendGuard spend, CallLog callLog, CallLimiter limits, IOptions<GatewayOptions> options)
{
    public async Task HandleAsync(HttpContext http)
    {
        var call = GatewayCall.Of(http);
        var record = call.Record;
        using var body = await RequestBody.ReadAsync(http.Request, options.Value.MaxRequestBytes, http.RequestAborted);
        record.RequestBytes = body.Length;
        Metered? metered = null;
        Hold? hold = null;
        try
        {
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
            record.ModelRequested = GatewayCall.Truncate(info.Model, 200);
            record.EndUser = GatewayCall.Truncate(info.EndUser, 200);
            if (limits.TryAdmit(call, info) is { } limited)
            {
                await limited.RefuseAsync(http, call);
                return;
            }
            var (plan, refusal) = Router.Plan(catalog.Current, info with { MaxOutputTokens = 0 }, ModelKinds.Embedding, options.Value);
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
            (hold, var holdRefused) = await spend.HoldAsync(call.Key!, plan.WorstCaseCost, http.RequestAborted);
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
            record.RouteReason = plan.Reason;
            var outcome = await clients.SendAsync(target.Provider, () => ProviderRequests.Embeddings(target, providerBody), http.RequestAborted);
            record.Retries = outcome.Retries;
            using var response = outcome.Response;
            if (!outcome.Succeeded)
            {
                var status = response is null ? 502 : (int)response.StatusCode;
                var providerError = response is null ? null : WireTranslation.ReadProviderError(await response.Content.ReadAsByteArrayAsync(http.RequestAborted), WireFormat.OpenAIChat, status);
                var (error, errorClass) = outcome.Failure switch
                {
                    SendFailure.TimedOut => (new WireError(504, "api_error", $"The provider {target.Provider.Name} did not answer in time."), "upstream_timeout"),
                    SendFailure.Unreachable or SendFailure.CircuitOpen => (new WireError(502, "api_error", $"The provider {target.Provider.Name} could not be reached: {outcome.Detail}"), "upstream_unreachable"),
                    _ => GatewayErrors.FromProvider(status, target.Provider.Name, providerError, ProviderClients.RetryAfterOf(response!)),
                };
                await GatewayErrors.RefuseAsync(http, call, error, errorClass);
                return;
            }

            var answer = JsonNode.Parse(await response!.Content.ReadAsByteArrayAsync(http.RequestAborted)) as JsonObject;
            var promptTokens = answer?["usage"]?["prompt_tokens"]?.GetValue<long>();
            metered = promptTokens is { } tokens
                ? Metered.Reported(new TokenUsage(tokens, 0, 0), rate)
                : Metered.Estimate(info, 0, rate);
            if (answer is not null) answer["model"] = info.Model;
            var bytes = answer is null ? [] : JsonSerializer.SerializeToUtf8Bytes(answer);
            record.Status = 200;
            record.ResponseBytes = bytes.Length;
            http.Response.ContentType = "application/json";
            http.Response.Headers[ChatRelay.CostHeader] = metered.Cost.ToString(CultureInfo.InvariantCulture);
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
        }
        finally
        {
            record.LatencyMs = (int)call.Elapsed.TotalMilliseconds;
            if (metered is not null)
            {
                record.InputTokens = metered.Usage.InputTokens;
                record.Cost = metered.Cost;
                record.Unpriced = metered.Unpriced;
            }
            record.UsageSource = metered?.Source ?? UsageSource.None;
            var charges = call.Key is { } key ? spend.Settle(key, hold, record.Cost) : [];
            await callLog.RecordAsync(new MeteredCall(record, Charges: charges));
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

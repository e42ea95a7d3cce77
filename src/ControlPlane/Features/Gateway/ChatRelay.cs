using System.Globalization;
using ControlPlane.Features.Experiments;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Limits;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Routing;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// The hot path for chat calls through either front door (DESIGN "The gateway hot path"): route, hold, relay with
/// retries and failover, meter, settle. The key was checked by <see cref="GatewayKeyHandler"/> before this runs.
/// </summary>
public sealed partial class ChatRelay(
    RouteSelector routes, ProviderClients clients, ISpendGuard spend, CallSettlement settle, StreamRelay streams,
    CallLimiter limits, CallExperiments experiments, IOptions<GatewayOptions> options, ILogger<ChatRelay> logger)
{
    public const string DryRunHeader = "X-ControlPlane-Dry-Run";
    public const string CostHeader = "X-ControlPlane-Cost";
    public const string BudgetRemainingHeader = "X-ControlPlane-Budget-Remaining";
    public const string BudgetWalletHeader = "X-ControlPlane-Budget-Wallet";

    public async Task HandleAsync(HttpContext http)
    {
        var call = GatewayCall.Of(http);
        var settlement = new Settlement();
        try
        {
            await RunAsync(http, call, settlement);
        }
        catch (Exception ex) when (http.RequestAborted.IsCancellationRequested)
        {
            call.Record.Status = 499;
            call.Record.ErrorClass ??= "client_disconnected";
            LogAborted(logger, ex, call.RequestId);
        }
        catch (OperationCanceledException)
        {
            // The call's total time ran out while the provider was still being asked (retries included).
            await GatewayErrors.RefuseAsync(http, call, new WireError(504, "api_error", "The provider did not answer within the call's time limit."), "upstream_timeout");
        }
        catch (Exception ex)
        {
            // Never a bare 500: the caller gets its own error format, the row says what happened, the log has the rest.
            LogFailed(logger, ex, call.RequestId);
            await GatewayErrors.RefuseAsync(http, call, new WireError(500, "api_error", $"ControlPlane failed to complete the call; quote {call.RequestId} when you report it."), "internal_error");
        }
        finally
        {
            // Refused, failed, dry run or served: every call is settled and gets its row.
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
        // A registry prompt named by the call is rendered into the body (Features/Prompts/PromptStep).
        if (Prompts.PromptStep.IsNamed(http.Request, body.Span) && !await http.RequestServices.GetRequiredService<Prompts.PromptStep>().ApplyAsync(http, call, body)) return;
        if (!WireTranslation.TryInspect(body.Span, call.FrontDoor, out var info, out var invalid))
        {
            await GatewayErrors.RefuseAsync(http, call, invalid!, "bad_request");
            return;
        }
        if (call.KeepsPayloads) call.RequestText = GatewayCall.Capped(body.Span);
        record.ModelRequested = GatewayCall.Truncate(info!.Model, 200);
        record.EndUser = GatewayCall.Truncate(info.EndUser, 200);
        record.Streamed = info.Stream;
        if (limits.TryAdmit(call, info) is { } limited)
        {
            await limited.RefuseAsync(http, call);
            return;
        }

        info = experiments.BeforeRouting(http, call, body, info);
        long CountText(Microsoft.ML.Tokenizers.Tokenizer tokenizer) => InputMeasure.TextTokens(body.Span, tokenizer);
        var (plan, refusal) = routes.Plan(http, call, info, body.Span, ModelKinds.Chat, CountText);
        if (refusal is not null)
        {
            await GatewayErrors.RefuseAsync(http, call, refusal.Error, refusal.ErrorClass);
            return;
        }
        GatewayTracing.Routed(call, plan!);
        if (IsDryRun(http.Request))
        {
            await DryRun.WriteAsync(http, call, info, plan!);
            record.Status = 200;
            record.RouteReason = GatewayCall.Truncate("dry run: " + plan!.Reason, CallText.RouteReasonMax);
            return;
        }

        if (await settle.RefuseIfUnrecordableAsync(http, call)) return;
        var (hold, holdRefused) = await spend.HoldAsync(call.Key!, plan!.WorstCaseCost, http.RequestAborted);
        if (holdRefused?.DowngradeTo is { } cheaper && cheaper != info.Model)
        {
            // The wallet's policy sends calls to a cheaper alias once its money is gone.
            var (downgraded, _) = routes.Plan(http, call, info with { Model = cheaper }, body.Span, ModelKinds.Chat, CountText);
            if (downgraded is not null)
            {
                (hold, holdRefused) = await spend.HoldAsync(call.Key!, downgraded.WorstCaseCost, http.RequestAborted);
                plan = downgraded;
                call.DowngradedTo = cheaper;
            }
        }
        settlement.Hold = hold;
        settlement.Held = hold?.Amount ?? 0;
        if (holdRefused is not null)
        {
            await GatewayErrors.RefuseBudgetAsync(http, call, holdRefused);
            return;
        }
        SetBudgetHeaders(http, call);

        using var total = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        total.CancelAfter(plan.Targets[0].Target.Provider.TotalTimeout);
        settlement.Metered = await RelayAsync(http, call, body, info, plan, settlement, total.Token);
        experiments.AfterRelay(http, call);
    }

    /// <summary>Tries each target in order until one answers; then relays its answer to the caller.</summary>
    private async Task<Metered?> RelayAsync(HttpContext http, GatewayCall call, RequestBody body, RequestInfo info, RoutePlan plan, Settlement settlement, CancellationToken ct)
    {
        var record = call.Record;
        var failovers = new List<string>();
        for (var i = 0; i < plan.Targets.Count; i++)
        {
            var (target, rate) = plan.Targets[i];
            var provider = target.Provider;
            var providerFormat = ProviderRequests.FormatOf(provider.Kind);
            var providerBody = WireTranslation.TranslateRequest(body.Span, call.FrontDoor, providerFormat, target.UpstreamModel, info.Stream, plan.MaxOutputTokens);

            // Said before sending: a call cancelled while the provider answers still names who had it.
            record.ProviderId = provider.Id;
            record.ProviderName = provider.Name;
            record.ModelServed = target.UpstreamModel;
            record.RouteReason = GatewayCall.Truncate(plan.ReasonFor(i, failovers), CallText.RouteReasonMax);
            var attempts = new ProviderAttempts();
            SendOutcome outcome;
            try
            {
                outcome = await clients.SendAsync(provider, attempts, () => ProviderRequests.Chat(target, providerBody, info.Stream), ct);
            }
            finally
            {
                // Also when the client left or the call's time ran out while the provider was working on it.
                settlement.ChargeUnanswered(attempts, provider, info, rate);
            }
            record.Retries += outcome.Retries;

            if (outcome.Succeeded)
            {
                using var response = outcome.Response!;
                return info.Stream
                    ? await streams.RelayAsync(http, call, response, provider, info, rate, ct)
                    : await RelayWholeAsync(http, call, response, providerFormat, info, rate, settlement, plan.MaxOutputTokens, options.Value.MaxProviderResponseBytes, ct);
            }

            var (error, errorClass, retryAfter) = await GatewayErrors.DescribeFailureAsync(outcome, provider.Name, providerFormat, ct);
            outcome.Response?.Dispose();
            var canFailOver = errorClass is "upstream_error" or "upstream_rate_limited" or "upstream_unreachable" or "upstream_timeout" or "upstream_circuit_open" or "upstream_address_not_allowed";
            if (canFailOver && i + 1 < plan.Targets.Count && !await CoversFailoverAsync(settlement, plan, ct))
            {
                // The next target's worst case no longer fits beside what this call was already charged.
                LogNoFailover(logger, call.RequestId, provider.Name, errorClass);
                canFailOver = false;
            }
            if (canFailOver && i + 1 < plan.Targets.Count)
            {
                failovers.Add($"{provider.Name}: {errorClass}");
                call.FailOver(provider.Name, errorClass);
                LogFailover(logger, call.RequestId, provider.Name, errorClass);
                continue;
            }
            if (retryAfter is { } wait) http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await GatewayErrors.RefuseAsync(http, call, error, errorClass);
            return null;
        }
        return null;
    }

    /// <summary>
    /// A failover may go ahead only if the hold still covers the worst case of the next target beside what the call
    /// was charged so far (so total charged ≤ total held); if not, the hold is topped up, or the failover is refused.
    /// </summary>
    private async ValueTask<bool> CoversFailoverAsync(Settlement settlement, RoutePlan plan, CancellationToken ct)
    {
        var extra = (settlement.Unanswered?.Cost ?? 0) + plan.WorstCaseCost - settlement.Held;
        if (extra <= 0) return true;
        if (settlement.Hold is not { } hold || !await spend.TopUpAsync(hold, extra, ct)) return false;
        settlement.Held += extra;
        return true;
    }

    private static async Task<Metered?> RelayWholeAsync(HttpContext http, GatewayCall call, HttpResponseMessage response, WireFormat providerFormat, RequestInfo info, PriceRate? rate,
        Settlement settlement, long maxOutputTokens, int maxAnswerBytes, CancellationToken ct)
    {
        byte[] providerBytes;
        try
        {
            providerBytes = await GatewayErrors.ReadCappedAsync(response, maxAnswerBytes, ct);
        }
        catch (OversizedAnswerException ex)
        {
            // The provider answered, so it generated (and bills) an answer whose usage is in the part never read: the
            // output is estimated from what arrived, never beyond the output cap it was sent (so within the hold).
            var seenTokens = (ex.Seen + Metered.CharactersPerToken - 1) / Metered.CharactersPerToken;
            settlement.Metered = Metered.Estimate(info, Math.Min(seenTokens, maxOutputTokens) * Metered.CharactersPerToken, rate);
            await GatewayErrors.RefuseAsync(http, call, new WireError(502, "api_error",
                $"The provider {call.Record.ProviderName} answered with more than {ex.Limit:N0} bytes, more than ControlPlane reads ({nameof(GatewayOptions.MaxProviderResponseBytes)}); the answer was not relayed and is charged as estimated."), "upstream_too_large");
            return settlement.Metered;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            // The provider worked on it even if we never saw the end: bill the input at least.
            settlement.Metered = Metered.Estimate(info, 0, rate);
            if (http.RequestAborted.IsCancellationRequested) throw;
            await GatewayErrors.RefuseAsync(http, call, new WireError(502, "api_error", $"The provider {call.Record.ProviderName} broke off its answer."), "upstream_cut");
            return settlement.Metered;
        }
        TranslatedResponse translated;
        try
        {
            translated = WireTranslation.TranslateResponse(providerBytes, providerFormat, call.FrontDoor, info.Model);
        }
        catch (System.Text.Json.JsonException)
        {
            settlement.Metered = Metered.Estimate(info, 0, rate);
            await GatewayErrors.RefuseAsync(http, call, new WireError(502, "api_error", $"The provider {call.Record.ProviderName} answered with something that is not its API's JSON."), "upstream_bad_body");
            return settlement.Metered;
        }
        // Metered before a byte goes out: a client that leaves while the answer is written is still billed.
        var metered = settlement.Metered = translated.Usage is { } usage
            ? Metered.Reported(usage, rate)
            : Metered.Estimate(info, translated.OutputCharacters, rate);
        call.Record.Status = 200;
        call.Record.TimeToFirstTokenMs = (int)call.Elapsed.TotalMilliseconds;
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.Headers[CostHeader] = metered.Cost.ToString(CultureInfo.InvariantCulture);
        http.Response.ContentLength = translated.Body.Length;
        call.Record.ResponseBytes = translated.Body.Length;
        if (call.KeepsPayloads || call.CapturesAnswer) call.ResponseText = GatewayCall.Capped(translated.Body);
        await http.Response.Body.WriteAsync(translated.Body, http.RequestAborted);
        return metered;
    }

    /// <summary>Every served call says how much its tightest wallet has left.</summary>
    private void SetBudgetHeaders(HttpContext http, GatewayCall call)
    {
        if (spend.Remaining(call.Key!) is not { } budget) return;
        http.Response.Headers[BudgetRemainingHeader] = budget.Remaining.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers[BudgetWalletHeader] = Uri.EscapeDataString(budget.WalletName);
    }

    private static bool IsDryRun(HttpRequest request) =>
        request.Headers.TryGetValue(DryRunHeader, out var value) && string.Equals(value.ToString(), "true", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Call {RequestId}: the client left")]
    private static partial void LogAborted(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call {RequestId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RequestId}: not failing over from {Provider} ({ErrorClass}): the hold cannot cover another attempt beside the one charged")]
    private static partial void LogNoFailover(ILogger logger, string requestId, string provider, string errorClass);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RequestId}: failing over from {Provider} ({ErrorClass})")]
    private static partial void LogFailover(ILogger logger, string requestId, string provider, string errorClass);

}

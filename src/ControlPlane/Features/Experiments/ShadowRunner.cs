using System.Collections.Concurrent;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Relay;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Experiments;

/// <summary>A call sampled for a shadow test: the test, the caller's request as it came, and its front door.</summary>
public sealed record ShadowTicket(LiveShadow Shadow, byte[] Request, WireFormat FrontDoor);

/// <summary>What this node did with a shadow test's samples since it started: sent, dropped over the cap, failed.</summary>
public sealed class ShadowCounters
{
    internal int InFlight;
    internal long SentCount, DroppedCount, FailedCount;
    public long Sent => Interlocked.Read(ref SentCount);
    public long Dropped => Interlocked.Read(ref DroppedCount);
    public long Failed => Interlocked.Read(ref FailedCount);
}

/// <summary>
/// Runs shadow calls in the background after the primary response has completed, never on the caller's time: at most
/// the test's cap in flight on this node (more are dropped and counted), each one a gateway call of its own (a non-
/// streamed request to the shadow alias, held and settled against the shadow key's wallets, its own row in the call
/// log), then both answers side by side in <see cref="ShadowResult"/>.
/// </summary>
public sealed partial class ShadowRunner(
    GatewayCatalog catalog, ProviderClients clients, ISpendGuard spend, CallSettlement settle, IDbContextFactory<ControlPlaneDb> dbFactory,
    IOptions<GatewayOptions> options, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<ShadowRunner> logger)
{
    private readonly ConcurrentDictionary<Guid, ShadowCounters> _counters = new();

    public ShadowCounters CountersOf(Guid shadowTestId) => _counters.GetOrAdd(shadowTestId, _ => new ShadowCounters());

    /// <summary>Starts the shadow of a served call, or drops it when the test's cap is reached. False: dropped.</summary>
    public bool Offer(ShadowTicket ticket, GatewayCall primary)
    {
        var counters = CountersOf(ticket.Shadow.Id);
        if (Interlocked.Increment(ref counters.InFlight) > ticket.Shadow.MaxConcurrent)
        {
            Interlocked.Decrement(ref counters.InFlight);
            Interlocked.Increment(ref counters.DroppedCount);
            LogDropped(logger, ticket.Shadow.Name, primary.RequestId);
            return false;
        }
        Interlocked.Increment(ref counters.SentCount);
        var answer = AnswerText.Of(primary.ResponseText, ticket.FrontDoor, primary.Record.Streamed);
        _ = Task.Run(async () =>
        {
            try
            {
                await RunAsync(ticket, primary.Record, answer, lifetime.ApplicationStopping);
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref counters.FailedCount);
                LogFailed(logger, ex, ticket.Shadow.Name, primary.RequestId);
            }
            finally
            {
                Interlocked.Decrement(ref counters.InFlight);
            }
        });
        return true;
    }

    private async Task RunAsync(ShadowTicket ticket, CallRecord primary, string? primaryAnswer, CancellationToken ct)
    {
        var shadow = ticket.Shadow;
        var http = new DefaultHttpContext();
        http.Request.Path = ticket.FrontDoor == WireFormat.AnthropicMessages ? "/v1/messages" : "/v1/chat/completions";
        http.Request.Headers[GatewayCall.CallerHeader] = $"shadow:{shadow.Name}";
        var call = new GatewayCall(http, clock.GetUtcNow().UtcDateTime);
        var settlement = new Settlement();
        string? answer = null;
        try
        {
            answer = await CallAsync(shadow, ticket, call, primary, settlement, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The shadow's row and result say it failed; what it used so far is still charged to the shadow key.
            LogFailed(logger, ex, shadow.Name, call.RequestId);
            Fail(call.Record, 502, "shadow_failed");
        }
        finally
        {
            await settle.FinishAsync(call, settlement);
        }
        var agreement = Agreement.Of(primaryAnswer, answer);
        var record = call.Record;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ShadowResults.Add(new ShadowResult
        {
            Id = Guid.CreateVersion7(), ShadowTestId = shadow.Id, CallId = primary.Id, ShadowCallId = record.Id, At = record.At,
            PrimaryCost = primary.Cost, PrimaryLatencyMs = primary.LatencyMs, PrimaryInputTokens = primary.InputTokens, PrimaryOutputTokens = primary.OutputTokens,
            ShadowCost = record.Cost, ShadowLatencyMs = record.LatencyMs, ShadowInputTokens = record.InputTokens, ShadowOutputTokens = record.OutputTokens,
            ShadowStatus = record.Status, ShadowError = record.ErrorClass,
            ExactMatch = agreement.Exact, NormalisedMatch = agreement.Normalised, JsonFieldMatch = agreement.JsonFields, Matched = answer is not null && agreement.Matched,
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The shadow call itself: inspect, route, hold, send to the first target, meter. Returns the answer's text, or null.</summary>
    private async Task<string?> CallAsync(LiveShadow shadow, ShadowTicket ticket, GatewayCall call, CallRecord primary, Settlement settlement, CancellationToken ct)
    {
        var record = call.Record;
        record.ModelRequested = shadow.ShadowAlias;
        record.EndUser = primary.EndUser;
        if (shadow.BillingKey is not { } key)
        {
            Fail(record, 403, "shadow_key_missing");
            return null;
        }
        call.Admit(key);
        // Never streamed: nobody reads this answer as it comes. stream_options is only valid beside stream: true.
        var body = TopLevelFields.Set(ticket.Request, [
            new("model", JsonWire.QuotedString(shadow.ShadowAlias)),
            new("stream", "false"u8.ToArray(), AddIfMissing: false),
            new("stream_options", "null"u8.ToArray(), AddIfMissing: false),
        ]);
        record.RequestBytes = body.Length;
        if (!WireTranslation.TryInspect(body, ticket.FrontDoor, out var info, out _))
        {
            Fail(record, 400, "bad_request");
            return null;
        }
        var (plan, refusal) = Router.Plan(catalog.Current, info!, ModelKinds.Chat, options.Value, clock.GetUtcNow().UtcDateTime);
        if (refusal is not null)
        {
            Fail(record, refusal.Error.Status, refusal.ErrorClass);
            return null;
        }
        var (hold, holdRefused) = await spend.HoldAsync(key, plan!.WorstCaseCost, ct);
        settlement.Hold = hold;
        settlement.Held = hold?.Amount ?? 0;
        if (holdRefused is not null)
        {
            Fail(record, 402, "budget_exhausted");
            return null;
        }

        var (target, rate) = plan.Targets[0];
        var provider = target.Provider;
        var providerFormat = ProviderRequests.FormatOf(provider.Kind);
        var providerBody = WireTranslation.TranslateRequest(body, ticket.FrontDoor, providerFormat, target.UpstreamModel, stream: false, plan.MaxOutputTokens);
        record.ProviderId = provider.Id;
        record.ProviderName = provider.Name;
        record.ModelServed = target.UpstreamModel;
        record.RouteReason = GatewayCall.Truncate($"shadow test '{shadow.Name}' of {primary.Id:N}: {plan.Reason}", CallText.RouteReasonMax);
        var attempts = new ProviderAttempts();
        using var total = CancellationTokenSource.CreateLinkedTokenSource(ct);
        total.CancelAfter(provider.TotalTimeout);
        SendOutcome outcome;
        try
        {
            outcome = await clients.SendAsync(provider, attempts, () => ProviderRequests.Chat(target, providerBody, false), total.Token);
        }
        finally
        {
            settlement.ChargeUnanswered(attempts, provider, info!, rate);
        }
        record.Retries = outcome.Retries;
        if (!outcome.Succeeded)
        {
            var (error, errorClass, _) = await GatewayErrors.DescribeFailureAsync(outcome, provider.Name, providerFormat, total.Token);
            outcome.Response?.Dispose();
            Fail(record, error.Status, errorClass);
            return null;
        }
        using var response = outcome.Response!;
        var bytes = await GatewayErrors.ReadCappedAsync(response, options.Value.MaxProviderResponseBytes, total.Token);
        var translated = WireTranslation.TranslateResponse(bytes, providerFormat, ticket.FrontDoor, shadow.ShadowAlias);
        settlement.Metered = translated.Usage is { } usage ? Metered.Reported(usage, rate) : Metered.Estimate(info!, translated.OutputCharacters, rate);
        record.Status = 200;
        record.TimeToFirstTokenMs = (int)call.Elapsed.TotalMilliseconds;
        record.ResponseBytes = translated.Body.Length;
        return AnswerText.Of(System.Text.Encoding.UTF8.GetString(translated.Body), ticket.FrontDoor, streamed: false);
    }

    private static void Fail(CallRecord record, int status, string errorClass)
    {
        record.Status = status;
        record.ErrorClass = errorClass;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shadow test {Shadow}: the shadow of call {RequestId} was dropped (the test's cap of calls in flight was reached)")]
    private static partial void LogDropped(ILogger logger, string shadow, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shadow test {Shadow}: the shadow of call {RequestId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string shadow, string requestId);
}

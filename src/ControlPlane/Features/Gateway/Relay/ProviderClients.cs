using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using ControlPlane.Features.Gateway.Catalogue;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace ControlPlane.Features.Gateway.Relay;

/// <summary>How sending to one target ended, before any byte went to the client.</summary>
public readonly record struct SendOutcome(HttpResponseMessage? Response, SendFailure Failure, int Retries, string? Detail)
{
    public bool Succeeded => Response is { IsSuccessStatusCode: true };
}

public enum SendFailure { None, Refused, Unreachable, TimedOut, CircuitOpen, AddressNotAllowed }

/// <summary>
/// One pooled HttpClient and one resilience pipeline per provider: retries with exponential backoff and jitter on
/// 429, 5xx and connection errors (honouring Retry-After), a first-byte timeout per attempt, and a circuit breaker
/// that skips a failing provider for a while. Everything here happens before the first byte reaches the client,
/// which is what makes retrying safe for the client; for the wallet, an attempt whose request reached the provider
/// whole and got no answer (a late first byte, a connection cut after sending) may have been billed, so it is not
/// retried unless the provider says such attempts are free (<see cref="ProviderEndpoint.UnansweredAttemptsFree"/>).
/// Every connection goes through <see cref="ProviderConnector"/> (the address policy, checked on the resolved addresses),
/// redirects are never followed (a provider's key must not travel to wherever a 3xx points), and no system proxy is
/// used, since a proxy would resolve the host where the address policy cannot see it.
/// </summary>
public sealed partial class ProviderClients : IDisposable
{
    /// <summary>A Retry-After longer than this is not waited for: the call fails over or answers 429 at once.</summary>
    private static readonly TimeSpan LongestRetryAfter = TimeSpan.FromSeconds(20);
    private static readonly ResiliencePropertyKey<StrongBox<int>> RetriesKey = new("controlplane.retries");
    private static readonly ResiliencePropertyKey<ProviderAttempts> AttemptsKey = new("controlplane.attempts");

    private readonly ConcurrentDictionary<Guid, Client> _clients = new();
    private readonly TimeProvider _clock;
    private readonly ProviderConnector _connector;
    private readonly ILogger<ProviderClients> _logger;
    private readonly ProviderMetrics? _metrics;

    public ProviderClients(TimeProvider clock, ProviderConnector connector, ILogger<ProviderClients> logger, ProviderMetrics? metrics = null)
    {
        _clock = clock;
        _connector = connector;
        _logger = logger;
        _metrics = metrics;
    }

    private sealed record Client(string Shape, HttpClient Http, ResiliencePipeline<HttpResponseMessage> Pipeline);

    /// <summary>The plain client of a provider, for calls that need no retries (test connection, list models).</summary>
    public HttpClient HttpFor(ProviderEndpoint provider) => ClientFor(provider).Http;

    /// <summary>
    /// Sends with retries; <paramref name="attempts"/> learns of every attempt as it is made, so what reached the
    /// provider is known even when this throws (the caller left or the call's time ran out).
    /// </summary>
    public async Task<SendOutcome> SendAsync(ProviderEndpoint provider, ProviderAttempts attempts, Func<HttpRequestMessage> request, CancellationToken ct)
    {
        var client = ClientFor(provider);
        var retries = new StrongBox<int>();
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(RetriesKey, retries);
        context.Properties.Set(AttemptsKey, attempts);
        SendOutcome outcome;
        try
        {
            var response = await client.Pipeline.ExecuteAsync(
                static async (ctx, state) =>
                {
                    var message = state.attempts.Begin(state.request());
                    var answer = await state.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ctx.CancellationToken);
                    state.attempts.Answered(message);
                    return answer;
                },
                context, (client.Http, request, attempts));
            outcome = new SendOutcome(response, response.IsSuccessStatusCode ? SendFailure.None : SendFailure.Refused, retries.Value, null);
        }
        catch (BrokenCircuitException ex)
        {
            outcome = new SendOutcome(null, SendFailure.CircuitOpen, retries.Value, ex.Message);
        }
        catch (TimeoutRejectedException)
        {
            outcome = new SendOutcome(null, SendFailure.TimedOut, retries.Value, $"no answer within {provider.FirstByteTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex) when (ProviderAddressRefusedException.In(ex) is { } refused)
        {
            LogAddressRefused(_logger, provider.Name, refused.Message);
            outcome = new SendOutcome(null, SendFailure.AddressNotAllowed, retries.Value, "its address is not allowed (" + Providers.ProviderAddressPolicy.Setting + ")");
        }
        catch (HttpRequestException ex)
        {
            // Callers learn the kind of failure, not the provider's internal address (that goes to the log).
            outcome = new SendOutcome(null, SendFailure.Unreachable, retries.Value, Describe(ex.HttpRequestError));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
        _metrics?.Retried(provider, outcome.Retries);
        GatewayTracing.Attempted(provider, outcome);
        return outcome;
    }

    private Client ClientFor(ProviderEndpoint provider)
    {
        var shape = provider.ClientShape;
        if (_clients.TryGetValue(provider.Id, out var existing) && existing.Shape == shape) return existing; // same string: a reference check
        // One client per shape even when calls race here; a replaced client may still serve calls in flight (its
        // connections close with the pool's lifetime).
        return _clients.AddOrUpdate(provider.Id,
            _ => new Client(shape, CreateHttp(provider), CreatePipeline(provider)),
            (_, current) => current.Shape == shape ? current : new Client(shape, CreateHttp(provider), CreatePipeline(provider)));
    }

    private HttpClient CreateHttp(ProviderEndpoint provider) => new(new SocketsHttpHandler
    {
        ConnectTimeout = provider.ConnectTimeout,
        ConnectCallback = _connector.ConnectAsync,
        AllowAutoRedirect = false,
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        AutomaticDecompression = DecompressionMethods.All,
        EnableMultipleHttp2Connections = true,
        UseCookies = false,
    })
    {
        // Timeouts are ours (first byte, idle, total), not HttpClient's single one.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private ResiliencePipeline<HttpResponseMessage> CreatePipeline(ProviderEndpoint provider)
    {
        var free = provider.UnansweredAttemptsFree;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _clock };
        if (provider.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context, free)),
                MaxRetryAttempts = provider.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? RetryAfterOf(r) : null),
                OnRetry = args =>
                {
                    if (args.Context.Properties.TryGetValue(RetriesKey, out var retries)) retries.Value++;
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }
        var circuit = new CircuitBreakerStateProvider();
        _metrics?.Track(provider, circuit);
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            StateProvider = circuit,
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>(e => ProviderAddressRefusedException.In(e) is null).Handle<TimeoutRejectedException>()
                .HandleResult(r => (int)r.StatusCode >= 500),
            FailureRatio = 0.5,
            MinimumThroughput = 10,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(15),
        });
        builder.AddTimeout(provider.FirstByteTimeout);
        return builder.Build();
    }

    /// <summary>
    /// 429 and 5xx answers are retried (the provider answered: that attempt was free), and so are failures before the
    /// request went out whole (the provider never saw it). A failure after it went out whole is retried only when the
    /// provider does not bill such attempts: otherwise a slow answer would be paid for once per retry.
    /// </summary>
    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, bool unansweredAttemptsFree)
    {
        if (outcome.Result is { } response) return IsTransient(response.StatusCode) && (RetryAfterOf(response) ?? TimeSpan.Zero) <= LongestRetryAfter;
        if (outcome.Exception is not (HttpRequestException or TimeoutRejectedException)) return false;
        if (ProviderAddressRefusedException.In(outcome.Exception) is not null) return false; // refused before any socket: the same next time
        return unansweredAttemptsFree || !(context.Properties.TryGetValue(AttemptsKey, out var attempts) && attempts.LatestUnanswered);
    }

    private static string Describe(HttpRequestError error) => error switch
    {
        HttpRequestError.NameResolutionError => "its host name does not resolve",
        HttpRequestError.ConnectionError => "the connection failed",
        HttpRequestError.SecureConnectionError => "the TLS handshake failed",
        HttpRequestError.ResponseEnded => "it closed the connection before answering",
        HttpRequestError.InvalidResponse => "its answer was not valid HTTP",
        _ => "the request failed",
    };

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout || (int)status == 529; // Anthropic: overloaded

    public static TimeSpan? RetryAfterOf(HttpResponseMessage response) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider}: connection refused by the address policy: {Reason}")]
    private static partial void LogAddressRefused(ILogger logger, string provider, string reason);

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Http.Dispose();
        _clients.Clear();
    }
}

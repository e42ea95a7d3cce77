using ControlPlane.Features.Metering;

namespace ControlPlane.Features.CallSeed;

/// <summary>A model the seeded history calls, with its prices per million tokens and how fast it answers.</summary>
public sealed record SeedModel(string Alias, string Upstream, Guid? ProviderId, string Provider, decimal InputPerMillion, decimal CachedPerMillion,
    decimal OutputPerMillion, double Weight, int TtftMs, double TokensPerSecond);

/// <summary>A key the seeded history calls with, and its team.</summary>
public sealed record SeedKey(Guid Id, Guid TeamId, double Weight);

/// <summary>
/// Realistic call history, generated deterministically (same seed, same rows): calls spread over the last days with a
/// weekly rhythm (weekends quiet) and a daily one (business hours busy, nights quiet), a few busy keys and many quiet
/// ones, models by popularity, streaming, cache hits, retries, errors by class, estimated usage. Each call is costed at
/// its model's prices, so totals match what the gateway would have charged.
/// </summary>
public sealed class SeedHistory(IReadOnlyList<SeedKey> keys, IReadOnlyList<SeedModel> models, int randomSeed = 42)
{
    private static readonly string[] Callers = ["support-bot", "batch-summarizer", "search-indexer", "eval-harness", "copilot-web", "report-writer"];
    private static readonly (string Class, int Status, double Weight)[] Errors =
    [
        ("upstream_error", 502, 0.35), ("upstream_rate_limited", 429, 0.25), ("upstream_timeout", 504, 0.15), ("bad_request", 400, 0.12),
        ("client_disconnected", 499, 0.08), ("budget_exhausted", 402, 0.05),
    ];

    /// <summary>Weight of an hour of the day (UTC): quiet nights, a morning ramp, busy afternoons.</summary>
    public static double HourWeight(int hour) => hour switch
    {
        < 6 => 0.15,
        < 8 => 0.45,
        < 12 => 1.0,
        < 14 => 0.85,
        < 18 => 1.0,
        < 21 => 0.5,
        _ => 0.25,
    };

    /// <summary>Weight of a day of the week: weekends a third of a weekday.</summary>
    public static double DayWeight(DayOfWeek day) => day is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.33 : 1.0;

    /// <summary>How many calls fall in each hour from <paramref name="from"/> (whole hours) to <paramref name="to"/>, summing to <paramref name="total"/>.</summary>
    public static IReadOnlyList<(DateTime Hour, int Calls)> Spread(long total, DateTime from, DateTime to)
    {
        var start = new DateTime(from.Year, from.Month, from.Day, from.Hour, 0, 0, DateTimeKind.Utc);
        var hours = new List<(DateTime Hour, double Weight)>();
        for (var h = start; h < to; h = h.AddHours(1)) hours.Add((h, DayWeight(h.DayOfWeek) * HourWeight(h.Hour)));
        var sum = hours.Sum(h => h.Weight);
        var spread = new List<(DateTime, int)>(hours.Count);
        double carried = 0;
        long given = 0;
        foreach (var (hour, weight) in hours)
        {
            carried += total * weight / sum;
            var calls = (int)Math.Round(carried - given);
            given += calls;
            spread.Add((hour, calls));
        }
        if (given != total && spread.Count > 0) spread[^1] = (spread[^1].Item1, spread[^1].Item2 + (int)(total - given));
        return spread;
    }

    /// <summary>The calls of one hour (ids, times and every measure), never before <paramref name="notAfter"/>'s end.</summary>
    public IEnumerable<CallRecord> Hour(DateTime hour, int calls, DateTime notAfter, Random random)
    {
        var keyPick = Cumulative(keys.Select(k => k.Weight));
        var modelPick = Cumulative(models.Select(m => m.Weight));
        var errorPick = Cumulative(Errors.Select(e => e.Weight));
        for (var i = 0; i < calls; i++)
        {
            var at = hour.AddTicks((long)(random.NextDouble() * TimeSpan.TicksPerHour));
            if (at >= notAfter) at = notAfter.AddTicks(-1 - random.Next(1_000_000));
            yield return Call(at, keys[Pick(keyPick, random)], models[Pick(modelPick, random)], errorPick, random);
        }
    }

    private static CallRecord Call(DateTime at, SeedKey key, SeedModel model, double[] errorPick, Random random)
    {
        var streamed = random.NextDouble() < 0.7;
        var failed = random.NextDouble() < 0.03;
        var error = failed ? Errors[Pick(errorPick, random)] : default;
        var reached = !failed || error.Status is 502 or 504 or 429 or 499;
        var input = (long)Math.Exp(5 + random.NextDouble() * 4); // about 150 to 8,000 tokens
        var cached = random.NextDouble() < 0.25 ? (long)(input * random.NextDouble() * 0.8) : 0;
        var output = failed ? 0 : (long)Math.Exp(3.5 + random.NextDouble() * 3.5); // about 30 to 1,000
        var estimated = !failed && random.NextDouble() < 0.02;
        var jitter = Math.Exp((random.NextDouble() - 0.5) * 0.8);
        var ttft = (int)(model.TtftMs * jitter);
        var tps = model.TokensPerSecond / Math.Sqrt(jitter);
        var latency = failed ? (int)(ttft * (1 + random.NextDouble() * 4)) : ttft + (int)(output / tps * 1000);
        var cost = reached && !failed
            ? ((input - cached) * model.InputPerMillion + cached * model.CachedPerMillion + output * model.OutputPerMillion) / 1_000_000m
            : 0m;
        var retries = random.NextDouble() < 0.02 ? 1 : 0;
        return new CallRecord
        {
            Id = Guid.CreateVersion7(at),
            At = at,
            KeyId = key.Id,
            TeamId = key.TeamId,
            Caller = Callers[(int)((uint)key.Id.GetHashCode() % (uint)Callers.Length)],
            EndUser = random.NextDouble() < 0.6 ? $"user-{random.Next(1, 500):D3}" : null,
            Endpoint = "chat",
            ModelRequested = model.Alias,
            ModelServed = reached ? model.Upstream : null,
            ProviderId = reached ? model.ProviderId : null,
            ProviderName = reached ? model.Provider : null,
            RouteReason = retries > 0 ? $"rule 'default' matched: model={model.Alias}; 1 retry" : $"rule 'default' matched: model={model.Alias}",
            Status = failed ? error.Status : 200,
            ErrorClass = failed ? error.Class : null,
            Retries = retries,
            Streamed = streamed,
            InputTokens = reached ? input : 0,
            CachedInputTokens = reached ? cached : 0,
            OutputTokens = output,
            Cost = decimal.Round(cost, MoneyScale.Scale),
            UsageSource = !reached ? UsageSource.None : estimated ? UsageSource.Estimated : UsageSource.Provider,
            TimeToFirstTokenMs = streamed && !failed ? ttft : null,
            LatencyMs = Math.Max(1, latency),
            OutputTokensPerSecond = failed || output == 0 ? null : Math.Round(tps, 2),
            RequestBytes = input * 4 + 200,
            ResponseBytes = output * 4 + 300,
        };
    }

    private static double[] Cumulative(IEnumerable<double> weights)
    {
        var sums = new List<double>();
        double total = 0;
        foreach (var w in weights) sums.Add(total += w);
        return [.. sums.Select(s => s / total)];
    }

    private static int Pick(double[] cumulative, Random random)
    {
        var i = Array.BinarySearch(cumulative, random.NextDouble());
        return Math.Min(i < 0 ? ~i : i, cumulative.Length - 1);
    }

    /// <summary>The random source of hour <paramref name="index"/>: each hour its own, so hours can be made in any order and still repeat.</summary>
    public Random RandomFor(int index) => new(unchecked(randomSeed * 1_000_003 + index));
}

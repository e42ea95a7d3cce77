using System.Globalization;
using ControlPlane.Features.Metering.Rollups;

namespace ControlPlane.Features.CallSeed;

/// <summary>
/// <c>seed --calls N [--days D]</c>: realistic call history for tests, demos and the scale benchmark.
/// <c>seed --rollups-only [--days D]</c>: no new calls; the rollups of the last D days summed again from the rows (after
/// an upgrade that added rollup columns, or an import), with no calls being written meanwhile.
/// </summary>
public static class SeedCommand
{
    public const int DefaultDays = 90;

    public static async Task<int> RunAsync(IServiceProvider services, string[] options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        long? calls = null;
        var rollupsOnly = false;
        var days = DefaultDays;
        for (var i = 0; i < options.Length; i++)
        {
            var value = i + 1 < options.Length ? options[i + 1] : null;
            switch (options[i])
            {
                case "--calls" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
                    calls = n;
                    i++;
                    break;
                case "--rollups-only":
                    rollupsOnly = true;
                    break;
                case "--days" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d is > 0 and <= 3660:
                    days = d;
                    i++;
                    break;
                default:
                    await stderr.WriteLineAsync($"Unknown or malformed option '{options[i]}': use seed --calls <N> [--days <D>] (N > 0, D from 1 to 3660) or seed --rollups-only [--days <D>].");
                    return 2;
            }
        }
        if (rollupsOnly)
        {
            if (calls is not null)
            {
                await stderr.WriteLineAsync("--rollups-only writes no calls: leave out --calls.");
                return 2;
            }
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            await services.GetRequiredService<CallRollups>().RebuildAsync(now.AddDays(-days), now.AddDays(1), ct);
            await stdout.WriteLineAsync($"Summed the rollups of the last {days} day(s) again from the call log.");
            return 0;
        }
        if (calls is not { } total)
        {
            await stderr.WriteLineAsync("Say how many: seed --calls <N> [--days <D>].");
            return 2;
        }
        var seeder = services.GetRequiredService<CallSeeder>();
        try
        {
            var last = 0L;
            var progress = new Progress<long>(n =>
            {
                if (n - last < 1_000_000 && n != total) return;
                last = n;
                stdout.WriteLine($"  {n:N0} of {total:N0} calls written");
            });
            var result = await seeder.SeedAsync(total, days, progress, ct: ct);
            await stdout.WriteLineAsync($"Seeded {result.Calls:N0} calls from {result.From:yyyy-MM-dd HH:mm} to {result.To:yyyy-MM-dd HH:mm} UTC in {result.Took.TotalSeconds:N1} s.");
            // The seed writes rows past the batch writer, so the Overview's rollups are summed from them afterwards.
            await stdout.WriteLineAsync("Summing the rollups the Overview reads…");
            await services.GetRequiredService<CallRollups>().RebuildAsync(result.From, result.To.AddTicks(1), ct);
            return 0;
        }
        catch (InvalidOperationException e)
        {
            await stderr.WriteLineAsync(e.Message);
            return 1;
        }
    }
}

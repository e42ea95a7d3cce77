using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Features.Metering.Rollups;

/// <summary>
/// Sums calls into rollup rows in memory: one row per grain, bucket and dimensions. The batch writer's hook and the
/// rebuild both go through it, so a rebuilt range and an incrementally written one cannot disagree on what a call adds.
/// </summary>
internal sealed class RollupSums
{
    private readonly Dictionary<(int Grain, DateTime Bucket, Guid Dims), CallRollup> _rows = [];
    private readonly Dictionary<(Guid Team, Guid Key, string Model, string Provider, string Caller), Guid> _dims = [];

    public int Count => _rows.Count;

    /// <summary>The rows, in key order: two writers that lock the same rows lock them in the same order.</summary>
    public IEnumerable<CallRollup> Rows => _rows.Values.OrderBy(r => r.Grain).ThenBy(r => r.Bucket).ThenBy(r => r.Dims);

    public void Add(CallRecord call)
    {
        var team = call.TeamId ?? Guid.Empty;
        var key = call.KeyId ?? Guid.Empty;
        var model = call.ModelServed ?? call.ModelRequested ?? "";
        var provider = call.ProviderName ?? "";
        var caller = call.Caller ?? "";
        if (!_dims.TryGetValue((team, key, model, provider, caller), out var dims))
            _dims[(team, key, model, provider, caller)] = dims = DimsOf(team, key, model, provider, caller);
        var at = DateTime.SpecifyKind(call.At, DateTimeKind.Utc);
        foreach (var grain in RollupGrain.All)
        {
            var bucket = RollupGrain.BucketOf(grain, at);
            if (!_rows.TryGetValue((grain, bucket, dims), out var row))
                _rows[(grain, bucket, dims)] = row = new CallRollup
                {
                    Grain = grain, Bucket = bucket, Dims = dims, TeamId = team, KeyId = key, Model = model, Provider = provider, Caller = caller,
                    CachedInputTokens = 0, Failed = 0, Unpriced = 0,
                };
            row.Calls += call.Count;
            if (IsError(call)) row.Errors += call.Count;
            row.InputTokens += call.InputTokens;
            row.OutputTokens += call.OutputTokens;
            row.Cost += call.Cost;
            row.LatencyMs += (long)call.LatencyMs * call.Count;
            row.CachedInputTokens += call.CachedInputTokens;
            if (call.ErrorClass is not null) row.Failed += call.Count;
            if (call.Unpriced) row.Unpriced++;
        }
    }

    public static bool IsError(CallRecord call) => call.Status >= 400 || call.ErrorClass is not null;

    /// <summary>
    /// The dimensions' key: the first 16 bytes of a SHA-256 over them, each length-prefixed so no two tuples run together.
    /// Stable across nodes and versions (it is stored), and short enough for any database's primary key.
    /// </summary>
    public static Guid DimsOf(Guid team, Guid key, string model, string provider, string caller)
    {
        var text = Encoding.UTF8.GetBytes($"{model.Length}:{model}|{provider.Length}:{provider}|{caller.Length}:{caller}");
        var input = new byte[32 + text.Length];
        team.TryWriteBytes(input.AsSpan(0, 16));
        key.TryWriteBytes(input.AsSpan(16, 16));
        text.CopyTo(input, 32);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return new Guid(hash[..16]);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Metering;

/// <summary>
/// One call through the gateway, as metered: who, which model was asked and which served it, what happened, what it
/// used and cost, and how fast it was. Written in batches by the call log writer; never updated.
/// </summary>
public sealed class CallRecord
{
    public Guid Id { get; set; }
    public DateTime At { get; set; }
    public Guid? KeyId { get; set; }
    public Guid? TeamId { get; set; }
    /// <summary>The X-ControlPlane-Caller header, when the caller named itself.</summary>
    public string? Caller { get; set; }
    /// <summary>OpenAI's <c>user</c> field or Anthropic's metadata.user_id.</summary>
    public string? EndUser { get; set; }
    /// <summary>chat, messages or embeddings.</summary>
    public required string Endpoint { get; set; }
    public string? ModelRequested { get; set; }
    public string? ModelServed { get; set; }
    public Guid? ProviderId { get; set; }
    public string? ProviderName { get; set; }
    public string? RouteReason { get; set; }
    public int Status { get; set; }
    /// <summary>Null on success; otherwise a stable word such as bad_request, unknown_model, upstream_error, client_disconnected.</summary>
    public string? ErrorClass { get; set; }
    public int Retries { get; set; }
    public bool Streamed { get; set; }
    public long InputTokens { get; set; }
    public long CachedInputTokens { get; set; }
    /// <summary>The part of <see cref="InputTokens"/> written to the provider's prompt cache (billed at the cache-write rate).</summary>
    public long CacheWriteInputTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal Cost { get; set; }
    /// <summary>True when the model had no price and the admin chose to allow such calls: the cost is not known.</summary>
    public bool Unpriced { get; set; }
    public UsageSource UsageSource { get; set; }
    public int? TimeToFirstTokenMs { get; set; }
    public int LatencyMs { get; set; }
    public double? OutputTokensPerSecond { get; set; }
    public long RequestBytes { get; set; }
    public long ResponseBytes { get; set; }
    /// <summary>
    /// How many calls this row stands for: 1, or for a refusal row (see <see cref="RefusalTally"/>) every refusal of
    /// its key and reason in its minute, the row itself being the first of them.
    /// </summary>
    public int Count { get; set; } = 1;
    /// <summary>The prompt registry version the gateway rendered into the call (Features/Prompts), and the label it was named by.</summary>
    public Guid? PromptVersionId { get; set; }
    public string? PromptLabel { get; set; }
    /// <summary>The experiment that picked this call's variant (Features/Experiments), and the variant's name.</summary>
    public Guid? ExperimentId { get; set; }
    public string? ExperimentVariant { get; set; }
}

internal sealed class CallRecordConfiguration : IEntityTypeConfiguration<CallRecord>
{
    public void Configure(EntityTypeBuilder<CallRecord> call)
    {
        call.ToTable("calls");
        call.HasKey(c => c.Id);
        call.Property(c => c.Caller).HasMaxLength(CallText.CallerMax);
        call.Property(c => c.EndUser).HasMaxLength(CallText.EndUserMax);
        call.Property(c => c.Endpoint).HasMaxLength(CallText.EndpointMax);
        call.Property(c => c.ModelRequested).HasMaxLength(CallText.ModelMax);
        call.Property(c => c.ModelServed).HasMaxLength(CallText.ModelMax);
        call.Property(c => c.ProviderName).HasMaxLength(CallText.ProviderNameMax);
        call.Property(c => c.RouteReason).HasMaxLength(CallText.RouteReasonMax);
        call.Property(c => c.ErrorClass).HasMaxLength(CallText.ErrorClassMax);
        call.Property(c => c.Cost).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        call.Property(c => c.UsageSource).HasConversion<string>().HasMaxLength(16);
        call.Property(c => c.Count).HasDefaultValue(1).ValueGeneratedNever();
        // No foreign keys: the call log is append-only history and must outlive the keys and teams it names.
        // For the Requests page (migration 20261201095000): (at, id) is the keyset of the default order; each exact
        // filter seeks by its column then reads in time order; cost and latency are the sortable columns.
        call.HasIndex(c => new { c.At, c.Id });
        call.HasIndex(c => new { c.TeamId, c.At });
        call.HasIndex(c => new { c.KeyId, c.At });
        call.HasIndex(c => new { c.ModelRequested, c.At });
        call.HasIndex(c => new { c.ProviderName, c.At });
        call.HasIndex(c => new { c.ErrorClass, c.At });
        call.HasIndex(c => new { c.EndUser, c.At });
        call.HasIndex(c => new { c.Cost, c.At });
        // With the id, the index holds the whole order (latency, at, id): a sorted page is an index walk, not a sort
        // of the range (migration 20261201106000).
        call.HasIndex(c => new { c.LatencyMs, c.At, c.Id });
        // Per-version metrics of the prompt registry (migration 20261203104000).
        call.Property(c => c.PromptLabel).HasMaxLength(40);
        call.HasIndex(c => new { c.PromptVersionId, c.At });
        // An experiment's results read its calls (migration 20261203103000).
        call.Property(c => c.ExperimentVariant).HasMaxLength(50);
        call.HasIndex(c => new { c.ExperimentId, c.At });
    }

    /// <summary>The SQLite-only column that orders calls by cost (<see cref="AddSqliteCostOrder"/>).</summary>
    public const string SqliteCostOrder = "CostReal";

    /// <summary>
    /// SQLite keeps decimals as text, which do not sort as numbers, so the Requests page orders by cost as a REAL (exact
    /// enough to order by). An index on that needs a column: a virtual generated one, computed on read, costing no
    /// space in the rows; with (at, id) it holds the whole order, so sorting by cost walks an index (migration
    /// 20261201106000). The other databases sort the decimal column itself.
    /// </summary>
    internal static void AddSqliteCostOrder(EntityTypeBuilder<CallRecord> call)
    {
        call.Property<double>(SqliteCostOrder).HasComputedColumnSql("CAST(\"cost\" AS REAL)", stored: false);
        call.HasIndex(SqliteCostOrder, nameof(CallRecord.At), nameof(CallRecord.Id));
    }
}

using ControlPlane.Features.Audit;
using ControlPlane.Features.Experiments;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.People;
using ControlPlane.Features.Projects;
using ControlPlane.Features.Prompts;
using ControlPlane.Features.Reconciliation;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Transfers;
using ControlPlane.Features.Wallets;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Infrastructure.Data;

/// <summary>The one DbContext. Each entity's mapping lives beside the entity in its feature folder.</summary>
public sealed class ControlPlaneDb(DbContextOptions<ControlPlaneDb> options) : DbContext(options)
{
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<User> Users => Set<User>();
    public DbSet<Team> Teams => Set<Team>();
    public DbSet<TeamMembership> TeamMemberships => Set<TeamMembership>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Provider> Providers => Set<Provider>();
    public DbSet<CatalogModel> CatalogModels => Set<CatalogModel>();
    public DbSet<ModelTarget> ModelTargets => Set<ModelTarget>();
    public DbSet<Price> Prices => Set<Price>();
    public DbSet<CallRecord> Calls => Set<CallRecord>();
    public DbSet<CallPayload> CallPayloads => Set<CallPayload>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<Wallet> Wallets => Set<Wallet>();
    public DbSet<LedgerEntry> LedgerEntries => Set<LedgerEntry>();
    public DbSet<BudgetLease> BudgetLeases => Set<BudgetLease>();
    public DbSet<WalletEvent> WalletEvents => Set<WalletEvent>();
    public DbSet<CallRollup> CallRollups => Set<CallRollup>();
    public DbSet<Transfer> Transfers => Set<Transfer>();
    public DbSet<TransferApproval> TransferApprovals => Set<TransferApproval>();
    public DbSet<ProviderHealthRecord> ProviderHealth => Set<ProviderHealthRecord>();
    public DbSet<OfferedModel> OfferedModels => Set<OfferedModel>();
    public DbSet<ReconciliationReport> ReconciliationReports => Set<ReconciliationReport>();
    public DbSet<ReconciliationLine> ReconciliationLines => Set<ReconciliationLine>();
    public DbSet<BillSource> BillSources => Set<BillSource>();
    public DbSet<Prompt> Prompts => Set<Prompt>();
    public DbSet<PromptVersion> PromptVersions => Set<PromptVersion>();
    public DbSet<PromptLabel> PromptLabels => Set<PromptLabel>();
    public DbSet<PromptLabelMove> PromptLabelMoves => Set<PromptLabelMove>();
    public DbSet<Features.Routing.RoutingRule> RoutingRules => Set<Features.Routing.RoutingRule>();
    public DbSet<Features.Routing.RegionLock> RegionLocks => Set<Features.Routing.RegionLock>();
    public DbSet<Features.AdminTokens.AdminToken> AdminTokens => Set<Features.AdminTokens.AdminToken>();
    public DbSet<Api.IdempotencyRecord> IdempotencyRecords => Set<Api.IdempotencyRecord>();
    public DbSet<Experiment> Experiments => Set<Experiment>();
    public DbSet<ExperimentVariant> ExperimentVariants => Set<ExperimentVariant>();
    public DbSet<CallFeedback> CallFeedback => Set<CallFeedback>();
    public DbSet<ShadowTest> ShadowTests => Set<ShadowTest>();
    public DbSet<ShadowResult> ShadowResults => Set<ShadowResult>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ControlPlaneDb).Assembly);
        if (Database.IsSqlite()) CallRecordConfiguration.AddSqliteCostOrder(modelBuilder.Entity<CallRecord>());

        // snake_case columns, so that hand-written SQL and psql read naturally on every provider.
        foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()))
            property.SetColumnName(SnakeCase(property.Name));
    }

    internal static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

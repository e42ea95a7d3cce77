using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>A wallet's settings as a finance admin edits them.</summary>
public sealed class WalletForm
{
    public decimal? Limit { get; set; }
    public string Period { get; set; } = WalletPeriods.Monthly;
    public decimal OverdraftPercent { get; set; }
    public string Thresholds { get; set; } = WalletRules.DefaultThresholds;
    public string ExhaustionPolicy { get; set; } = ExhaustionPolicies.Block;
    public string? DowngradeAlias { get; set; }
}

/// <summary>Creates wallets and changes their settings. Owner and FinanceAdmin only; every change audited.</summary>
public sealed class WalletService(IDbContextFactory<ControlPlaneDb> dbFactory, WalletBook book, AuditLog audit, TimeProvider clock,
    IOptions<OrganisationOptions> organisation)
{
    public static bool MayEdit(Actor actor) => actor.Role is Roles.Owner or Roles.FinanceAdmin;

    /// <summary>Creates the wallet of the organisation, a team or a key, or changes its settings.</summary>
    public async Task<Outcome<Wallet>> SaveAsync(Actor actor, string ownerKind, Guid ownerId, WalletForm form, CancellationToken ct = default)
    {
        if (!MayEdit(actor)) return Outcome.Fail<Wallet>("Only an Owner or a FinanceAdmin can change budgets.");
        if (Validate(form) is { } problem) return Outcome.Fail<Wallet>(problem);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (name, parentId) = await PlaceAsync(db, ownerKind, ownerId, ct);
        if (name is null) return Outcome.Fail<Wallet>("That owner no longer exists.");
        if (parentId is { } pid && form.Limit is { } limit
            && await db.Wallets.AsNoTracking().Where(w => w.Id == pid).Select(w => w.Limit).FirstOrDefaultAsync(ct) is { } parentLimit && limit > parentLimit)
            return Outcome.Fail<Wallet>($"The limit cannot exceed the parent budget's limit of {parentLimit:0.##} USD.");

        var now = clock.GetUtcNow().UtcDateTime;
        var wallet = await db.Wallets.FirstOrDefaultAsync(w => w.OwnerKind == ownerKind && w.OwnerId == ownerId, ct);
        var created = wallet is null;
        if (wallet is null)
        {
            wallet = new Wallet
            {
                Id = Guid.CreateVersion7(), Name = name, OwnerKind = ownerKind, OwnerId = ownerId, Period = form.Period,
                Thresholds = form.Thresholds, ExhaustionPolicy = form.ExhaustionPolicy, PeriodStart = WalletPeriods.StartOf(form.Period, now, organisation.Value.Zone), CreatedAt = now,
            };
            db.Wallets.Add(wallet);
        }
        else if (wallet.Period != form.Period)
        {
            wallet.PeriodStart = WalletPeriods.StartOf(form.Period, now, organisation.Value.Zone); // a new period kind starts now; spend carries on
        }
        wallet.ParentWalletId = parentId;
        wallet.Limit = form.Limit;
        wallet.Period = form.Period;
        wallet.OverdraftPercent = form.OverdraftPercent;
        wallet.Thresholds = string.Join(",", WalletRules.ParseThresholds(form.Thresholds));
        wallet.ExhaustionPolicy = form.ExhaustionPolicy;
        wallet.DowngradeAlias = form.ExhaustionPolicy == ExhaustionPolicies.Downgrade ? form.DowngradeAlias?.Trim() : null;

        var limitText = form.Limit is { } l ? $"{l:0.##} USD {form.Period}" : "no limit";
        await audit.SaveAsync(db, actor.Name, created ? "wallet.created" : "wallet.changed", $"wallet:{wallet.Name}",
            $"{limitText}, overdraft {form.OverdraftPercent:0.##} %, thresholds {wallet.Thresholds}, when spent: {form.ExhaustionPolicy}{(wallet.DowngradeAlias is { } d ? $" to '{d}'" : "")}", ct);
        await book.ReloadAsync(ct);
        return wallet;
    }

    /// <summary>The wallet's display name and its parent: a key's team, a team's nearest ancestor with a wallet, or the organisation.</summary>
    private static async Task<(string? Name, Guid? Parent)> PlaceAsync(ControlPlaneDb db, string ownerKind, Guid ownerId, CancellationToken ct)
    {
        var org = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Organization).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct);
        switch (ownerKind)
        {
            case WalletOwners.Organization:
                var orgName = await db.Organizations.Where(o => o.Id == ownerId).Select(o => o.Name).FirstOrDefaultAsync(ct);
                return (orgName, null);
            case WalletOwners.Team:
                var team = await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.Id == ownerId, ct);
                if (team is null) return (null, null);
                for (var parent = team.ParentTeamId; parent is { } p;)
                {
                    if (await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == p).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct) is { } found)
                        return ($"Team {team.Name}", found);
                    parent = await db.Teams.Where(t => t.Id == p).Select(t => t.ParentTeamId).FirstOrDefaultAsync(ct);
                }
                return ($"Team {team.Name}", org);
            case WalletOwners.Project:
                var project = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Id == ownerId, ct);
                if (project is null) return (null, null);
                var projectTeamWallet = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == project.TeamId).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct);
                return ($"Project {project.Name}", projectTeamWallet ?? org);
            case WalletOwners.Key:
                var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == ownerId, ct);
                if (key is null) return (null, null);
                var teamWallet = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == key.TeamId).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct);
                return ($"Key {key.Name} ({key.Prefix}…)", teamWallet ?? org);
            default:
                return (null, null);
        }
    }

    internal static string? Validate(WalletForm form)
    {
        if (form.Limit is < 0 or > 1_000_000_000m) return "A limit is between 0 and 1,000,000,000 USD, or empty for no limit.";
        if (!WalletPeriods.All.Contains(form.Period)) return $"The period is one of {string.Join(", ", WalletPeriods.All)}.";
        if (form.OverdraftPercent is < 0 or > 100) return "Overdraft is between 0 and 100 % of the limit.";
        if (!ExhaustionPolicies.All.Contains(form.ExhaustionPolicy)) return $"When the money is gone: {string.Join(", ", ExhaustionPolicies.All)}.";
        if (form.ExhaustionPolicy == ExhaustionPolicies.Downgrade && string.IsNullOrWhiteSpace(form.DowngradeAlias)) return "Name the cheaper model alias to downgrade to.";
        if (form.Thresholds.Split(',', StringSplitOptions.RemoveEmptyEntries).Length != WalletRules.ParseThresholds(form.Thresholds).Count)
            return "Thresholds are whole percentages between 1 and 99, separated by commas (e.g. 80,90,95).";
        return null;
    }
}

using System.Text.RegularExpressions;
using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Reconciliation;

/// <summary>One of our provider connections and the provider-side ids (projects, keys, workspaces) that are its.</summary>
public sealed record ProviderBillingIdsView(string Provider, IReadOnlyList<string> Ids);

/// <summary>
/// Which provider-side project, API key or workspace ids belong to which of our provider connections
/// (<see cref="Gateway.Providers.Provider.BillingIds"/>): an organisation's bill covers every project, and with these a
/// reconciliation compares each connection with its own part and names the ids that are no connection's. Read by the
/// reconciliation readers, set (audited) by its writers; an id belongs to one connection at most.
/// </summary>
public sealed partial class ProviderBillingIds(IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog audit)
{
    public const int MaxIds = 50;
    private static readonly char[] Separators = [' ', ',', ';', '\n', '\r', '\t'];

    public async Task<IReadOnlyList<ProviderBillingIdsView>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        if (!ReconciliationService.MayRead(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Providers.AsNoTracking().Select(p => new { p.Name, p.BillingIds }).ToListAsync(ct);
        return [.. rows.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).Select(r => new ProviderBillingIdsView(r.Name, Split(r.BillingIds)))];
    }

    /// <summary>Sets the ids of <paramref name="provider"/> (separated by spaces, commas or lines; empty clears them).</summary>
    public async Task<Outcome<ProviderBillingIdsView>> SaveAsync(Actor actor, string provider, string? ids, CancellationToken ct = default)
    {
        if (!ReconciliationService.MayWrite(actor)) return Outcome.Fail<ProviderBillingIdsView>(ReconciliationService.WriteRefusal);
        var list = Split(ids);
        if (list.FirstOrDefault(id => !IdPattern().IsMatch(id)) is { } bad)
            return Outcome.Fail<ProviderBillingIdsView>($"'{(bad.Length > 40 ? bad[..40] + "…" : bad)}' is not a provider-side id: up to 100 letters, digits and _ - . : (e.g. proj_abc123, key_abc, wrkspc_01).");
        if (list.Count > MaxIds) return Outcome.Fail<ProviderBillingIdsView>($"At most {MaxIds} ids per provider.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Providers.FirstOrDefaultAsync(p => p.Name == provider, ct);
        if (row is null) return Outcome.Fail<ProviderBillingIdsView>($"No provider is named '{provider}'.");
        var others = await db.Providers.AsNoTracking().Where(p => p.Id != row.Id && p.BillingIds != null).Select(p => new { p.Name, p.BillingIds }).ToListAsync(ct);
        foreach (var other in others)
            if (Split(other.BillingIds).Intersect(list, StringComparer.Ordinal).FirstOrDefault() is { } taken)
                return Outcome.Fail<ProviderBillingIdsView>($"'{taken}' already belongs to the provider '{other.Name}': an id belongs to one provider.");
        var before = Split(row.BillingIds);
        row.BillingIds = list.Count == 0 ? null : string.Join(' ', list);
        await audit.SaveAsync(db, actor.Name, "reconciliation.billing-ids-saved", $"provider:{provider}",
            $"provider-side ids {(before.Count == 0 ? "(none)" : string.Join(' ', before))} → {(list.Count == 0 ? "(none)" : row.BillingIds)}", ct);
        return new ProviderBillingIdsView(row.Name, list);
    }

    /// <summary>The ids in a stored or typed list, in order, without repeats.</summary>
    public static IReadOnlyList<string> Split(string? ids) =>
        string.IsNullOrWhiteSpace(ids) ? [] : [.. ids.Split(Separators, StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];

    [GeneratedRegex(@"^[A-Za-z0-9_\-.:]{1,100}$")]
    private static partial Regex IdPattern();
}

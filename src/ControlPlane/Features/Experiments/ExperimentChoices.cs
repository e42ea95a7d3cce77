using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Experiments;

/// <summary>What the experiment and shadow dialogs offer: chat aliases, teams, projects and keys (names only).</summary>
public sealed record ExperimentChoices(IReadOnlyList<string> Aliases, IReadOnlyList<(Guid Id, string Name)> Teams,
    IReadOnlyList<(Guid Id, string Name)> Projects, IReadOnlyList<(Guid Id, string Name)> Keys)
{
    public static async Task<ExperimentChoices> LoadAsync(IDbContextFactory<ControlPlaneDb> dbFactory, GatewayCatalog catalog, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().OrderBy(t => t.Name).Select(t => new { t.Id, t.Name }).ToListAsync(ct);
        var projects = await db.Projects.AsNoTracking().OrderBy(p => p.Name).Select(p => new { p.Id, p.Name }).ToListAsync(ct);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).OrderBy(k => k.Name).Select(k => new { k.Id, k.Name, k.Prefix }).ToListAsync(ct);
        return new(
            [.. catalog.Current.Models.Values.Where(m => m.Kind == ModelKinds.Chat).Select(m => m.Alias).Order(StringComparer.Ordinal)],
            [.. teams.Select(t => (t.Id, t.Name))], [.. projects.Select(p => (p.Id, p.Name))], [.. keys.Select(k => (k.Id, $"{k.Name} ({k.Prefix}…)"))]);
    }
}

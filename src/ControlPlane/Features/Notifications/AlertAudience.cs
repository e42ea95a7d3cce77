using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Notifications;

/// <summary>Who an e-mail reaches: the team's leads (from the team directory), the finance admins, listed addresses.</summary>
public sealed class AlertAudience(TeamDirectory teams)
{
    public async Task<IReadOnlyList<string>> AddressesAsync(ControlPlaneDb db, Guid? teamId, bool toTeamLeads, bool toFinanceAdmins, string? listed, CancellationToken ct)
    {
        var addresses = new List<string>(ParseAddresses(listed));
        if (toTeamLeads && teamId is { } team)
            addresses.AddRange((await teams.MembersAsync(team, ct)).Where(m => m.Role == TeamRoles.Lead).Select(m => m.Email));
        if (toFinanceAdmins)
            addresses.AddRange(await db.Users.AsNoTracking().Where(u => u.Role == Roles.FinanceAdmin && u.IsActive).Select(u => u.Email).ToListAsync(ct));
        return [.. addresses.Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>Comma-, semicolon- or space-separated addresses; an entry that is not one is left out (forms refuse them earlier).</summary>
    public static IReadOnlyList<string> ParseAddresses(string? text) =>
        [.. (text ?? "").Split([',', ';', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(IsAddress)];

    public static bool IsAddress(string text) => System.Net.Mail.MailAddress.TryCreate(text, out var parsed) && parsed.Address == text;

    /// <summary>The first entry that is not an e-mail address, or null when all are.</summary>
    public static string? FirstInvalid(string? text) =>
        (text ?? "").Split([',', ';', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(a => !IsAddress(a));
}

namespace ControlPlane.Features.People;

/// <summary>The six roles a person can hold in an organisation. Stored as text; claims carry the same names.</summary>
public static class Roles
{
    public const string Owner = nameof(Owner);
    public const string Admin = nameof(Admin);
    public const string FinanceAdmin = nameof(FinanceAdmin);
    public const string TeamLead = nameof(TeamLead);
    public const string Member = nameof(Member);
    public const string Auditor = nameof(Auditor);

    public static IReadOnlyList<string> All { get; } = [Owner, Admin, FinanceAdmin, TeamLead, Member, Auditor];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}

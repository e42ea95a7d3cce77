using ControlPlane.Features.People;
using Microsoft.AspNetCore.Authorization;

namespace ControlPlane.Infrastructure.Auth;

/// <summary>
/// Every page and endpoint names one of these policies (or is explicitly anonymous). The fallback policy
/// refuses anything that forgot to. AuthorizationMatrixTests pins who may reach what.
/// </summary>
public static class Policies
{
    public const string SignedIn = nameof(SignedIn);
    public const string TeamsView = nameof(TeamsView);
    public const string TeamsManage = nameof(TeamsManage);
    public const string KeysView = nameof(KeysView);
    public const string KeysManage = nameof(KeysManage);
    public const string AuditView = nameof(AuditView);

    /// <summary>Which roles each policy admits.</summary>
    public static IReadOnlyDictionary<string, string[]> Grants { get; } = new Dictionary<string, string[]>
    {
        [SignedIn] = [.. Roles.All],
        [TeamsView] = [.. Roles.All],
        [TeamsManage] = [Roles.Owner, Roles.Admin],
        [KeysView] = [.. Roles.All],
        [KeysManage] = [Roles.Owner, Roles.Admin, Roles.TeamLead],
        [AuditView] = [Roles.Owner, Roles.Admin, Roles.Auditor],
    };

    public static void AddTo(AuthorizationOptions options)
    {
        foreach (var (policy, roles) in Grants)
            options.AddPolicy(policy, p => p.RequireAuthenticatedUser().RequireRole(roles));
        options.FallbackPolicy = options.GetPolicy(SignedIn);
    }
}

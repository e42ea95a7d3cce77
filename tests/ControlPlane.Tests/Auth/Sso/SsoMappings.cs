namespace ControlPlane.Tests.Auth.Sso;

/// <summary>The role mapping rules the single sign-on tests run under (Auth:RoleMappings), as an operator writes them.</summary>
public static class SsoMappings
{
    public const string Admins = "cp-admins", Finance = "cp-finance", Auditors = "cp-auditors",
        PlatformLeads = "platform-leads", Platform = "platform-devs", Search = "search-devs";

    public static Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>();
        Rule(0, Admins, role: "Admin");
        Rule(1, Finance, role: "FinanceAdmin");
        Rule(2, Auditors, role: "Auditor");
        Rule(3, PlatformLeads, team: "Platform", teamRole: "Lead");
        Rule(4, Platform, team: "Platform");
        Rule(5, Search, team: "Search");
        return settings;

        void Rule(int i, string group, string? role = null, string? team = null, string? teamRole = null)
        {
            settings[$"Auth:RoleMappings:Rules:{i}:Group"] = group;
            if (role is not null) settings[$"Auth:RoleMappings:Rules:{i}:Role"] = role;
            if (team is not null) settings[$"Auth:RoleMappings:Rules:{i}:Team"] = team;
            if (teamRole is not null) settings[$"Auth:RoleMappings:Rules:{i}:TeamRole"] = teamRole;
        }
    }
}

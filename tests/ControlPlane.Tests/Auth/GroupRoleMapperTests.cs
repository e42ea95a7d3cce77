using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth.Sso;
using Microsoft.Extensions.Options;

namespace ControlPlane.Tests.Auth;

public sealed class GroupRoleMapperTests
{
    private static GroupRoleMapper Mapper(params RoleMapping[] rules)
    {
        var options = new RoleMappingOptions { Rules = [.. rules] };
        return new GroupRoleMapper(new StaticMonitor(options));
    }

    [Fact]
    public void The_strongest_role_of_the_matching_groups_wins_and_names_are_compared_without_case()
    {
        var mapper = Mapper(
            new RoleMapping { Group = "cp-finance", Role = Roles.FinanceAdmin },
            new RoleMapping { Group = "cp-admins", Role = Roles.Admin },
            new RoleMapping { Group = "cp-owners", Role = Roles.Owner });

        var access = mapper.Map("okta", ["CP-Finance", "cp-admins", "everyone"]);

        Assert.Equal(Roles.Admin, access.Role);
        Assert.Equal(2, access.Reasons.Count);
    }

    [Fact]
    public void A_team_place_alone_gives_access_and_lead_beats_member_for_the_same_team()
    {
        var mapper = Mapper(
            new RoleMapping { Group = "platform", Team = "Platform" },
            new RoleMapping { Group = "platform-leads", Team = "Platform", TeamRole = TeamRoles.Lead });

        var access = mapper.Map("entra", ["platform-leads", "platform"]);

        Assert.Equal(Roles.TeamLead, access.Role);
        Assert.Equal(TeamRoles.Lead, access.Teams["Platform"]);
    }

    [Fact]
    public void No_matching_group_means_no_access_and_rules_for_another_provider_do_not_apply()
    {
        var mapper = Mapper(new RoleMapping { Group = "cp-admins", Role = Roles.Admin, Provider = "okta" });

        Assert.False(mapper.Map("entra", ["cp-admins"]).HasAccess);
        Assert.False(mapper.Map("okta", []).HasAccess);
        Assert.True(mapper.Map("okta", ["cp-admins"]).HasAccess);
    }

    [Fact]
    public void Broken_rules_are_named_by_their_setting_path()
    {
        var options = new RoleMappingOptions { Rules = [new RoleMapping { Group = "x", Role = "Emperor" }, new RoleMapping { Group = "" }] };

        var problems = options.Problems().ToList();

        Assert.Contains(problems, p => p.Contains("Auth:RoleMappings:Rules:0:Role 'Emperor'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Auth:RoleMappings:Rules:1:Group is empty", StringComparison.Ordinal));
    }

    private sealed class StaticMonitor(RoleMappingOptions value) : IOptionsMonitor<RoleMappingOptions>
    {
        public RoleMappingOptions CurrentValue => value;
        public RoleMappingOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<RoleMappingOptions, string?> listener) => null;
    }
}

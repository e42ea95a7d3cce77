using ControlPlane.Features.Demo;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Teams;

/// <summary>
/// The demo organisation (<see cref="DemoData"/>) as the tests use it: its people by e-mail, and look-ups of people,
/// actors and teams in a test app's database.
/// </summary>
public static class DemoOrg
{
    /// <summary>Owner.</summary>
    public const string Olivia = "olivia.owner@acme.test";
    /// <summary>Admin; Member of Mobile.</summary>
    public const string Adam = "adam.admin@acme.test";
    /// <summary>FinanceAdmin; Lead of Sales (a team lead in name, but not by organisation role).</summary>
    public const string Fiona = "fiona.finance@acme.test";
    /// <summary>TeamLead; Lead of Engineering and Platform.</summary>
    public const string Leo = "leo.lead@acme.test";
    /// <summary>TeamLead; Lead of Research.</summary>
    public const string Rita = "rita.research@acme.test";
    /// <summary>Member; Member of Platform and Search.</summary>
    public const string Mia = "mia.member@acme.test";
    /// <summary>Member; Member of Sales.</summary>
    public const string Sam = "sam.sales@acme.test";
    /// <summary>Auditor.</summary>
    public const string Aria = "aria.auditor@acme.test";

    /// <summary>The six demo teams: Engineering &gt; Platform &gt; Search, Engineering &gt; Mobile, Research, Sales.</summary>
    public static IReadOnlyList<string> Teams { get; } = ["Engineering", "Platform", "Search", "Mobile", "Research", "Sales"];

    /// <summary>A name no other test uses: the stem and a fragment of a new Guid.</summary>
    public static string Unique(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 9)];

    /// <summary>The person as the app sees them when they sign in.</summary>
    public static async Task<Actor> ActorAsync(this AppFactory app, string email)
    {
        await using var db = app.OpenDb();
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Email == email);
        return new Actor(user.Id, user.Email, user.Role);
    }

    public static async Task<Guid> UserIdAsync(this AppFactory app, string email)
    {
        await using var db = app.OpenDb();
        return await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
    }

    public static async Task<Guid> TeamIdAsync(this AppFactory app, string name)
    {
        await using var db = app.OpenDb();
        return await db.Teams.Where(t => t.Name == name).Select(t => t.Id).SingleAsync();
    }
}

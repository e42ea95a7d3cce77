using System.Reflection;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;

namespace ControlPlane.Tests.Auth;

/// <summary>
/// The services' own checks, walked with every role against the real app (SQLite and PostgreSQL): pages hiding a
/// button are never the check. <see cref="ServiceAuthorizationTable"/> says who each method acts for; a new public
/// method that takes an <see cref="Actor"/> and is not in it fails the guard, so no new code skips this walk.
/// </summary>
public abstract class ServiceAuthorizationMatrixTests<TApp>(TApp fixture) : IAsyncLifetime where TApp : AppFixture
{
    private ServiceProbe _probe = default!;

    public async Task InitializeAsync() => _probe = await ServiceProbe.CreateAsync(fixture.App);

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(ServiceAuthorizationTable.Methods), MemberType = typeof(ServiceAuthorizationTable))]
    public async Task Each_service_method_acts_for_exactly_the_people_its_rule_allows(string method)
    {
        var rule = ServiceAuthorizationTable.Rules[method];
        var wrong = new List<string>();
        foreach (var (label, email) in ServiceRoles.People)
        {
            var actor = await fixture.App.ActorAsync(email);
            var did = await rule.Call(_probe, actor);
            var allowed = rule.Allowed.Contains(label);
            if (did != allowed) wrong.Add($"{label} ({email}) was {(did ? "served" : "refused")}, the table says {(allowed ? "served" : "refused")}");
        }
        Assert.True(wrong.Count == 0, $"{method}:\n  " + string.Join("\n  ", wrong));
    }

    [Fact]
    public void Every_public_method_taking_an_actor_is_in_the_table()
    {
        var found = ActorMethods().Order(StringComparer.Ordinal).ToList();
        var listed = ServiceAuthorizationTable.Rules.Keys.Except(ServiceAuthorizationTable.SignedInOverloads).Order(StringComparer.Ordinal).ToList();
        Assert.True(found.SequenceEqual(listed),
            "Not in ServiceAuthorizationTable (decide who may call it): " + string.Join("; ", found.Except(listed))
            + "\nIn the table but gone: " + string.Join("; ", listed.Except(found)));
    }

    /// <summary>Public methods of public types (not the Actor record's own, not property accessors) with an Actor parameter.</summary>
    internal static IEnumerable<string> ActorMethods() =>
        typeof(Actor).Assembly.GetExportedTypes()
            .Where(t => t != typeof(Actor))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => !m.IsSpecialName && m.GetParameters().Any(p => p.ParameterType == typeof(Actor)))
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => NameOf(p.ParameterType)))})")
            .Distinct();

    private static string NameOf(Type type) =>
        Nullable.GetUnderlyingType(type) is { } inner ? NameOf(inner) + "?" : type.Name;
}

public sealed class ServiceAuthorizationMatrixTests_on_Sqlite(SqliteApp f) : ServiceAuthorizationMatrixTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class ServiceAuthorizationMatrixTests_on_Postgres(PostgresApp f) : ServiceAuthorizationMatrixTests<PostgresApp>(f), IClassFixture<PostgresApp>;

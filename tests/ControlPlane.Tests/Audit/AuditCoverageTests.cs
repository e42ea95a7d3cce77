using System.Reflection;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Audit;

/// <summary>
/// Every administrative service method appends an audit entry with its actor, action and target (issue 13, "Audit
/// everywhere"). The methods come from reflection over <see cref="AuditCoverageTable.Namespaces"/>; each is called with
/// valid input on the seeded app through its ServiceAuthorizationTable rule. Coverage does not depend on the database,
/// so it runs on SQLite only (the chain's own behaviour is walked on every provider by AuditChainTests).
/// </summary>
public sealed class AuditCoverageTests(SqliteApp fixture) : IClassFixture<SqliteApp>, IAsyncLifetime
{
    private ServiceProbe _probe = default!;

    public async Task InitializeAsync() => _probe = await ServiceProbe.CreateAsync(fixture.App);

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string> Administrative => [.. AuditCoverageTable.Actions.Keys];

    [Fact]
    public void Every_method_taking_an_actor_in_the_walked_features_is_either_administrative_or_a_read()
    {
        var found = ActorMethods().ToList();
        var missing = found.Where(m => !AuditCoverageTable.Actions.ContainsKey(m) && !AuditCoverageTable.Reads.Contains(m)).ToList();
        var gone = AuditCoverageTable.Actions.Keys.Concat(AuditCoverageTable.Reads).Except(found).ToList();
        Assert.True(missing.Count == 0 && gone.Count == 0,
            "Say whether these change something (AuditCoverageTable.Actions, with their action) or only read (Reads): " + string.Join("; ", missing)
            + "\nIn AuditCoverageTable but gone: " + string.Join("; ", gone));
        Assert.All(AuditCoverageTable.Actions.Keys, m => Assert.True(ServiceAuthorizationTable.Rules.ContainsKey(m), $"{m} has no ServiceAuthorizationTable rule to call it with"));
    }

    [Theory]
    [MemberData(nameof(Administrative))]
    public async Task Each_administrative_method_appends_an_entry_naming_its_actor_action_and_target(string method)
    {
        var rule = ServiceAuthorizationTable.Rules[method];
        // Someone the method acts for: the Owner when allowed (it is for nearly all), else the first allowed.
        var label = rule.Allowed.Contains(ServiceRoles.Owner) ? ServiceRoles.Owner : rule.Allowed[0];
        var actor = await fixture.App.ActorAsync(ServiceRoles.People[label]);
        var head = await HeadAsync();

        Assert.True(await rule.Call(_probe, actor), $"{method} did not do what was asked as {label}");

        await using var db = fixture.App.OpenDb();
        var appended = await db.AuditEntries.AsNoTracking().Where(e => e.Sequence > head).OrderBy(e => e.Sequence).ToListAsync();
        var expected = AuditCoverageTable.Actions[method];
        var entry = appended.FirstOrDefault(e => e.Actor == actor.Name && e.Action.StartsWith(expected, StringComparison.Ordinal));
        if (entry is null)
            Assert.Fail($"{method} as {actor.Name} appended no '{expected}' entry; appended: " + string.Join("; ", appended.Select(e => $"{e.Actor} {e.Action} {e.Target}")));
        Assert.Matches("^[a-z-]+:.+", entry.Target);
        Assert.False(string.IsNullOrWhiteSpace(entry.Details));
        Assert.Null(await fixture.App.FirstBadAuditEntryAsync(db));
    }

    private async Task<long> HeadAsync()
    {
        await using var db = fixture.App.OpenDb();
        return await db.AuditEntries.MaxAsync(e => e.Sequence);
    }

    /// <summary>Public methods with an Actor parameter of public types in the walked namespaces, named as ServiceAuthorizationTable names them.</summary>
    private static IEnumerable<string> ActorMethods() =>
        typeof(Actor).Assembly.GetExportedTypes()
            .Where(t => AuditCoverageTable.Namespaces.Contains(t.Namespace))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => !m.IsSpecialName && m.GetParameters().Any(p => p.ParameterType == typeof(Actor)))
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => NameOf(p.ParameterType)))})")
            .Distinct();

    private static string NameOf(Type type) => Nullable.GetUnderlyingType(type) is { } inner ? NameOf(inner) + "?" : type.Name;
}

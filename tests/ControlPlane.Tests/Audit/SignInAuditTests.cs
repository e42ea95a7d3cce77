using System.Net;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Audit;

/// <summary>Sign-ins, refused sign-ins and sign-outs are in the audit chain like every other action.</summary>
public sealed class SignInAuditTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    private async Task<List<ControlPlane.Features.Audit.AuditEntry>> EntriesAfterAsync(long sequence)
    {
        await using var db = fixture.App.OpenDb();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Sequence > sequence).OrderBy(e => e.Sequence).ToListAsync();
    }

    private async Task<long> HeadAsync()
    {
        await using var db = fixture.App.OpenDb();
        return await db.AuditEntries.MaxAsync(e => e.Sequence);
    }

    [Fact]
    public async Task Dev_sign_in_and_sign_out_each_append_an_entry_for_the_person()
    {
        var adam = await fixture.App.UserIdAsync(DemoOrg.Adam);
        var head = await HeadAsync();
        using var client = fixture.App.CreateBrowserClient();
        await client.SignInAsync(DemoOrg.Adam);
        var page = await client.GetStringAsync("/");
        var signOut = await client.PostAsync("/sign-out", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = DevSignIn.HiddenValue(page, "__RequestVerificationToken"),
        }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        var entries = await EntriesAfterAsync(head);

        Assert.Equal(["user.signed_in", "user.signed_out"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal((DemoOrg.Adam, $"user:{adam}"), (e.Actor, e.Target)));
        Assert.Contains("development sign-in", entries[0].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_dev_sign_in_appends_a_refusal()
    {
        var head = await HeadAsync();
        using var client = fixture.App.CreateBrowserClient();
        var page = await client.GetStringAsync("/sign-in");
        var nobody = Guid.NewGuid();
        var response = await client.PostAsync("/dev/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userId"] = nobody.ToString(),
            ["__RequestVerificationToken"] = DevSignIn.HiddenValue(page, "__RequestVerificationToken"),
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var entry = Assert.Single(await EntriesAfterAsync(head));
        Assert.Equal(("user.sign_in_refused", $"user:{nobody}"), (entry.Action, entry.Target));
    }
}

using System.Net;
using System.Text.Json;
using ControlPlane.Features.Audit;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Audit;

/// <summary>/audit/export.csv and /audit/export.json: filtered, in sequence order, with every field the hash covers.</summary>
public sealed class AuditExportTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    private async Task<HttpClient> AuditorAsync()
    {
        var client = fixture.App.CreateBrowserClient();
        await client.SignInAsync("aria.auditor@acme.test");
        return client;
    }

    [Fact]
    public async Task The_full_JSON_export_holds_every_entry_in_order_with_its_hash_input_and_hashes()
    {
        using var client = await AuditorAsync();

        using var export = JsonDocument.Parse(await client.GetStringAsync(AuditEndpoints.JsonPath));

        await using var db = fixture.App.OpenDb();
        var stored = await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync();
        Assert.Equal(AuditExport.Format, export.RootElement.GetProperty("format").GetString());
        Assert.True(export.RootElement.GetProperty("complete").GetBoolean());
        var entries = export.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.True(entries.Count >= stored.Count);
        foreach (var (row, e) in entries.Zip(stored))
        {
            Assert.Equal(e.Sequence, row.GetProperty("sequence").GetInt64());
            Assert.Equal(AuditExport.TimeOf(e.At), row.GetProperty("at").GetString());
            Assert.Equal(e.Details, row.GetProperty("details").GetString());
            Assert.Equal(e.After, row.GetProperty("after").GetString());
            Assert.Equal(e.PreviousHash, row.GetProperty("previousHash").GetString());
            Assert.Equal(e.Hash, row.GetProperty("hash").GetString());
            Assert.Equal(e.HashVersion, row.GetProperty("hashVersion").GetInt32());
        }
    }

    [Fact]
    public async Task Filters_narrow_both_exports_and_mark_the_JSON_incomplete()
    {
        using var client = await AuditorAsync();

        using var json = JsonDocument.Parse(await client.GetStringAsync(AuditEndpoints.JsonPath + "?action=team.&actor=demo"));
        var csv = (await client.GetStringAsync(AuditEndpoints.CsvPath + "?action=team.&actor=demo")).TrimEnd().Split('\n');

        Assert.False(json.RootElement.GetProperty("complete").GetBoolean());
        var entries = json.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(14, entries.Count); // the demo data's 6 teams and 8 memberships
        Assert.All(entries, e => Assert.StartsWith("team.", e.GetProperty("action").GetString(), StringComparison.Ordinal));
        Assert.Equal(string.Join(',', AuditExport.Header), csv[0].TrimEnd('\r'));
        // One line per entry (these hold no line breaks), each starting with its sequence.
        Assert.Equal(entries.Select(e => e.GetProperty("sequence").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            csv.Skip(1).Select(l => l[..l.IndexOf(',', StringComparison.Ordinal)]));
    }

    [Fact]
    public async Task A_time_range_narrows_the_export_and_a_bad_time_is_refused_with_a_message()
    {
        using var client = await AuditorAsync();

        using var future = JsonDocument.Parse(await client.GetStringAsync(AuditEndpoints.JsonPath + "?from=2999-01-01"));
        var bad = await client.GetAsync(AuditEndpoints.JsonPath + "?from=yesterday");

        Assert.Empty(future.RootElement.GetProperty("entries").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("'from' must be a UTC date", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_may_not_export_the_chain()
    {
        using var client = fixture.App.CreateBrowserClient();
        await client.SignInAsync(DemoOrg.Mia);

        var response = await client.GetAsync(AuditEndpoints.JsonPath);

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }
}

using System.Net;
using System.Text;
using ControlPlane.Features.CallSeed;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Metering;

/// <summary>The Requests CSV export over HTTP: the filtered set, scoped like the page, streamed, formulas neutralised.</summary>
public abstract class CallExportTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private AppFactory App => fixture.App;

    private async Task<(HttpResponseMessage Response, List<string[]> Rows)> ExportAsync(string email, string query)
    {
        var client = App.CreateBrowserClient();
        await client.SignInAsync(email);
        var response = await client.GetAsync("/calls/export.csv" + query, HttpCompletionOption.ResponseHeadersRead);
        var text = await response.Content.ReadAsStringAsync();
        return (response, Csv.Parse(text));
    }

    [Fact]
    public async Task The_export_is_the_filtered_set_with_a_header_and_every_digit_of_the_cost()
    {
        await using var db = App.OpenDb();
        var stored = await db.Calls.AsNoTracking().Where(c => c.ErrorClass != null).ToListAsync();

        var (response, rows) = await ExportAsync(DemoOrg.Adam, "?range=all&outcome=errors");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition!.DispositionType, StringComparison.Ordinal);
        Assert.Equal(CallExport.Header, rows[0]);
        Assert.Equal(stored.Count, rows.Count - 1);
        var byId = stored.ToDictionary(c => $"req_{c.Id:N}");
        foreach (var row in rows.Skip(1))
        {
            var call = byId[row[0]];
            Assert.Equal(call.ErrorClass, row[Array.IndexOf(CallExport.Header, "error_class")]);
            Assert.Equal(call.Cost, decimal.Parse(row[Array.IndexOf(CallExport.Header, "cost_usd")], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(call.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), row[Array.IndexOf(CallExport.Header, "status")]);
        }
        // Newest first, as the page lists them.
        var times = rows.Skip(1).Select(r => r[1]).ToList();
        Assert.Equal(times.OrderDescending(StringComparer.Ordinal), times);
    }

    [Fact]
    public async Task A_member_exports_only_the_calls_of_her_teams_even_when_she_names_another_team()
    {
        await using var db = App.OpenDb();
        var sales = await db.Teams.Where(t => t.Name == "Sales").Select(t => t.Id).SingleAsync();
        var herTeams = await db.Teams.Where(t => t.Name == "Platform" || t.Name == "Search").Select(t => t.Id).ToListAsync();
        var hers = await db.Calls.AsNoTracking().CountAsync(c => c.TeamId != null && herTeams.Contains(c.TeamId.Value));

        var (_, all) = await ExportAsync(DemoOrg.Mia, "?range=all");
        var (_, salesRows) = await ExportAsync(DemoOrg.Mia, $"?range=all&team={sales}");

        Assert.Equal(hers, all.Count - 1);
        Assert.All(all.Skip(1), r => Assert.Contains(Guid.Parse(r[3]), herTeams));
        Assert.Equal([CallExport.Header], salesRows);
    }

    [Fact]
    public async Task Cells_a_spreadsheet_would_run_as_formulas_are_escaped()
    {
        var team = await App.TeamIdAsync("Search");
        var callers = new[] { "=HYPERLINK(\"http://127.0.0.1\")", "+1+1", "-2-2", "@SUM(A1)" };
        await using (var db = App.OpenDb())
        {
            db.Calls.AddRange(callers.Select((caller, i) => new CallRecord
            {
                Id = Guid.NewGuid(), At = DateTime.UtcNow.AddMinutes(-i - 1), Endpoint = "chat", Caller = caller, EndUser = "injection-probe", TeamId = team,
                Status = 200, UsageSource = UsageSource.Provider, LatencyMs = 10,
            }));
            await db.SaveChangesAsync();
        }

        var (_, rows) = await ExportAsync(DemoOrg.Adam, "?range=hour&user=injection-probe");

        var exported = rows.Skip(1).Select(r => r[Array.IndexOf(CallExport.Header, "caller")]).ToList();
        Assert.Equal(callers.Length, exported.Count);
        Assert.All(exported, cell => Assert.DoesNotContain(cell[0], "=+-@"));
        Assert.Equal(callers.Order(StringComparer.Ordinal), exported.Select(c => c.TrimStart('\'', '\t')).Order(StringComparer.Ordinal));
    }
}

public sealed class CallExportTests_on_Sqlite(SqliteApp f) : CallExportTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class CallExportTests_on_Postgres(PostgresApp f) : CallExportTests<PostgresApp>(f), IClassFixture<PostgresApp>;

/// <summary>A big export: 50,000 seeded calls come out whole, row by row, in a response without a length (streamed).</summary>
public sealed class BigCallExportTests(SqliteApp fixture) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Fifty_thousand_calls_stream_out_whole_without_a_content_length()
    {
        await fixture.App.WithScopeAsync(sp => sp.GetRequiredService<CallSeeder>().SeedAsync(50_000, days: 30));
        await using var db = fixture.App.OpenDb();
        var total = await db.Calls.CountAsync();
        var client = fixture.App.CreateBrowserClient();
        await client.SignInAsync(DemoOrg.Aria);

        using var response = await client.GetAsync("/calls/export.csv?range=all", HttpCompletionOption.ResponseHeadersRead);
        Assert.Null(response.Content.Headers.ContentLength);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body, Encoding.UTF8);
        var lines = 0;
        var header = await reader.ReadLineAsync();
        while (await reader.ReadLineAsync() is not null) lines++;

        Assert.Equal(string.Join(',', CallExport.Header), header);
        Assert.True(total > 50_000);
        Assert.Equal(total, lines); // no call text in the seeded or demo rows spans lines
    }
}

/// <summary>RFC 4180 reading for the tests: quoted fields, doubled quotes, CRLF or LF.</summary>
internal static class Csv
{
    public static List<string[]> Parse(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                row.Add(field.ToString()); field.Clear();
                rows.Add([.. row]); row.Clear();
            }
            else field.Append(c);
        }
        if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add([.. row]); }
        return rows;
    }
}

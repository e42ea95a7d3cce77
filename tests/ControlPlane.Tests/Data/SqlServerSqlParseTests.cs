using ControlPlane.Features.Audit;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace ControlPlane.Tests.Data;

/// <summary>
/// Without a SQL Server, its own T-SQL parser (ScriptDom) checks offline that every piece of SQL the app sends to
/// SQL Server parses: the idempotent migration script batch by batch, and each raw SQL Server statement of the app.
/// Parsing proves syntax, not behaviour: names and semantics are proved only by the tests on a real SQL Server.
/// </summary>
public sealed class SqlServerSqlParseTests
{
    private static IReadOnlyList<string> ErrorsIn(string sql)
    {
        using var reader = new StringReader(sql);
        new TSql160Parser(initialQuotedIdentifiers: true).Parse(reader, out var errors);
        return [.. errors.Select(e => $"line {e.Line}: {e.Message}")];
    }

    [Fact]
    public void The_idempotent_migration_script_parses_as_T_SQL()
    {
        var options = new DbContextOptionsBuilder<ControlPlaneDb>();
        DataSetup.Configure(options, new DatabaseOptions { Provider = DatabaseProvider.SqlServer, ConnectionString = "Server=127.0.0.1,1;Database=x" }, Path.GetTempPath());
        using var db = new ControlPlaneDb(options.Options);
        var script = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);

        // ScriptDom understands GO as the batch separator, as sqlcmd and SSMS do.
        Assert.Empty(ErrorsIn(script));
        Assert.True(script.Split('\n').Count(l => l.Trim() == "GO") > 1);
    }

    [Theory]
    [InlineData(nameof(AuditLog.SqlServerChainLock))]
    [InlineData(nameof(Ledger.SqlServerWalletLock))]
    [InlineData(nameof(DatabaseClock.SqlServerNow))]
    public void The_app_s_raw_SQL_Server_statements_parse(string which)
    {
        var sql = which switch
        {
            nameof(AuditLog.SqlServerChainLock) => AuditLog.SqlServerChainLock,
            nameof(Ledger.SqlServerWalletLock) => Ledger.SqlServerWalletLock.Replace("{0}", "@p0", StringComparison.Ordinal),
            _ => DatabaseClock.SqlServerNow,
        };
        Assert.Empty(ErrorsIn(sql));
        Assert.NotEmpty(ErrorsIn(sql + " ,,")); // not vacuous: the parser does refuse broken SQL
    }

    [Fact]
    public void The_rollup_upsert_parses_as_T_SQL()
    {
        var sql = ControlPlane.Features.Metering.Rollups.RollupUpsert.SqlFor(DatabaseProvider.SqlServer, 3);
        Assert.StartsWith("MERGE call_rollups WITH (HOLDLOCK)", sql, StringComparison.Ordinal);
        Assert.Empty(ErrorsIn(sql));
        Assert.NotEmpty(ErrorsIn(sql + " ,,"));
    }
}

using Npgsql;

namespace ControlPlane.Features.CallSeed;

/// <summary>
/// A bulk load of <c>calls</c> on PostgreSQL: a transaction in which the table's indexes other than its primary key are
/// dropped (their definitions kept from <c>pg_indexes</c>) and created again at commit. Rows copied in between are
/// indexed once, by a sort, instead of row by row.
/// </summary>
internal sealed class PostgresBulk : IAsyncDisposable
{
    private readonly NpgsqlTransaction _transaction;
    private readonly IReadOnlyList<string> _definitions;

    private PostgresBulk(NpgsqlTransaction transaction, IReadOnlyList<string> definitions) => (_transaction, _definitions) = (transaction, definitions);

    public static async Task<PostgresBulk> BeginAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var transaction = await connection.BeginTransactionAsync(ct);
        var indexes = new List<(string Name, string Definition)>();
        await using (var read = new NpgsqlCommand(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = 'calls'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)
            """, connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) indexes.Add((reader.GetString(0), reader.GetString(1)));
        foreach (var (name, _) in indexes)
            await ExecuteAsync(connection, transaction, $"DROP INDEX \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", ct);
        return new PostgresBulk(transaction, [.. indexes.Select(i => i.Definition)]);
    }

    /// <summary>Builds the indexes again and commits the rows with them.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        var connection = _transaction.Connection!;
        // Each index build sorts the whole table; more memory means fewer passes over temporary files.
        await ExecuteAsync(connection, _transaction, "SET LOCAL maintenance_work_mem = '256MB'", ct);
        foreach (var definition in _definitions)
            await ExecuteAsync(connection, _transaction, definition, ct);
        await _transaction.CommitAsync(ct);
    }

    public ValueTask DisposeAsync() => _transaction.DisposeAsync();

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }
}

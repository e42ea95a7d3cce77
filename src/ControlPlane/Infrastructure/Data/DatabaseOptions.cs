using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Infrastructure.Data;

public enum DatabaseProvider { Sqlite, Postgres, SqlServer }

/// <summary>The "Database" section: which provider, and its connection string.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>For SQLite a relative Data Source is taken from the app's content root.</summary>
    [Required]
    public string ConnectionString { get; set; } = "Data Source=data/controlplane.db";

    /// <summary>
    /// Fill an empty database with the demo organisation on first start. Unset: only in Development, so a
    /// production database never gets demo teams, keys and spend unless an operator asks for them by name.
    /// </summary>
    public bool? SeedDemoData { get; set; }

    /// <summary>Whether to seed: as set, or (unset) only in Development.</summary>
    public bool SeedsDemoDataIn(IHostEnvironment environment) => SeedDemoData ?? environment.IsDevelopment();
}

using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Update;

namespace ControlPlane.Infrastructure.Data;

/// <summary>
/// SQL Server's DDL for our hand-written, provider-neutral migrations. They carry no target model, and without one
/// EF's SQL Server generator falls back to its EF 1.x rule of filtering every unique index with
/// "WHERE [column] IS NOT NULL" (it cannot tell the columns are NOT NULL), so the migrated schema would differ from
/// the model. Here a unique index is filtered only when its migration says so (as the model's own conventions do for
/// nullable columns: such a migration needs a SQL Server filter, which SqlServerOfflineTests would demand).
/// Everything else is EF's own SQL Server generator.
/// </summary>
public sealed class SqlServerMigrations(MigrationsSqlGeneratorDependencies dependencies, ICommandBatchPreparer commandBatchPreparer)
    : SqlServerMigrationsSqlGenerator(dependencies, commandBatchPreparer)
{
    protected override bool UseLegacyIndexFilters(CreateIndexOperation operation, IModel? model) => false;
}

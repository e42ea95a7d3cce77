using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// Prices made before cached input had a real default: a cached price of 0 meant "not given", so the migration makes
/// it the input price; a real cached price stays; old prices charge cache writes at the default 1.25 × input.
/// </summary>
public abstract class PriceMigrationTests(DatabaseProvider provider)
{
    [DatabaseFact]
    public async Task Prices_that_left_cached_input_at_zero_charge_it_at_the_input_price_after_the_migration()
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var db = new ControlPlaneDb(database.ContextOptions());
        await db.GetService<IMigrator>().MigrateAsync("20261122030000_Projects");
        Guid providerId = Guid.NewGuid(), unset = Guid.NewGuid(), set = Guid.NewGuid();
        var at = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO providers (id, name, kind, base_url, enabled, managed_by_configuration, connect_timeout_seconds, first_byte_timeout_seconds,
                idle_timeout_seconds, total_timeout_seconds, max_retries, created_at, updated_at)
            VALUES ({providerId}, {"old"}, {"anthropic"}, {"http://127.0.0.1:9"}, {true}, {false}, {10}, {60}, {60}, {600}, {2}, {at}, {at})
            """);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO prices (id, provider_id, upstream_model, effective_from, input_per_million, cached_input_per_million, output_per_million, created_at, created_by)
            VALUES ({unset}, {providerId}, {"claude-a"}, {at}, {3m}, {0m}, {15m}, {at}, {"configuration"})
            """);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO prices (id, provider_id, upstream_model, effective_from, input_per_million, cached_input_per_million, output_per_million, created_at, created_by)
            VALUES ({set}, {providerId}, {"claude-b"}, {at}, {3m}, {0.3m}, {15m}, {at}, {"configuration"})
            """);

        await db.Database.MigrateAsync();

        var prices = await db.Prices.AsNoTracking().ToDictionaryAsync(p => p.Id);
        Assert.Equal((3m, (decimal?)null), (prices[unset].CachedInputPerMillion, prices[unset].CacheWriteInputPerMillion));
        Assert.Equal((0.3m, (decimal?)null), (prices[set].CachedInputPerMillion, prices[set].CacheWriteInputPerMillion));
        var book = new PriceBook(prices.Values);
        Assert.True(book.TryGetRate(providerId, "claude-a", at, out var rate));
        Assert.Equal(3.75m, rate.CacheWritePerMillion);
        Assert.Equal((100 * 3m + 100 * 3m + 100 * 3.75m) / 1_000_000m, rate.CostOf(new TokenUsage(300, 100, 0, 100)));
    }
}

public sealed class PriceMigrationTests_on_Sqlite() : PriceMigrationTests(DatabaseProvider.Sqlite);

public sealed class PriceMigrationTests_on_Postgres() : PriceMigrationTests(DatabaseProvider.Postgres);

[RequiresSqlServer]
public sealed class PriceMigrationTests_on_SqlServer() : PriceMigrationTests(DatabaseProvider.SqlServer);

using ControlPlane.Infrastructure.Data;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Live;

public static class ClusterSetup
{
    /// <summary>
    /// Events that cross nodes (<see cref="ClusterEventRegistration.AddClusterEvent{T}"/>) and the channel they cross
    /// by: PostgreSQL LISTEN/NOTIFY, a polled table on SQL Server, nothing on SQLite (one node).
    /// </summary>
    public static WebApplicationBuilder AddClusterBus(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LiveOptions>().BindConfiguration(LiveOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ClusterNode>();
        builder.Services.AddClusterEvent<KeysChanged>("keys.changed", maybeMissed: () => new KeysChanged());
        builder.Services.AddClusterEvent<CatalogueChanged>("catalogue.changed", maybeMissed: () => new CatalogueChanged());
        builder.Services.AddClusterEvent<TeamSettingsChanged>("team.settings.changed");
        builder.Services.AddClusterEvent<SpendTick>("spend.tick");
        builder.Services.AddSingleton(services =>
        {
            var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var options = services.GetRequiredService<IOptions<LiveOptions>>().Value;
            var node = services.GetRequiredService<ClusterNode>();
            var clock = services.GetRequiredService<TimeProvider>();
            IClusterChannel? channel = database.Provider switch
            {
                DatabaseProvider.Postgres => new PostgresClusterChannel(database.ConnectionString, node, options, clock,
                    services.GetRequiredService<ILogger<PostgresClusterChannel>>()),
                DatabaseProvider.SqlServer => new SqlServerClusterChannel(database.ConnectionString, node, options, clock,
                    services.GetRequiredService<ILogger<SqlServerClusterChannel>>()),
                _ => null,
            };
            return new ClusterBus(services.GetRequiredService<EventBus>(), services.GetServices<ClusterEventType>(), channel, node,
                services.GetRequiredService<ILogger<ClusterBus>>());
        });
        builder.Services.AddHostedService(services => services.GetRequiredService<ClusterBus>());
        return builder;
    }
}

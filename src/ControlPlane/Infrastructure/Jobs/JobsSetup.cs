using ControlPlane.Features.Notifications;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Hangfire;
using Hangfire.Common;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.SqlServer;
using Hangfire.Storage.SQLite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Jobs;

/// <summary>
/// Hangfire on the app's own database: every <see cref="ScheduledJobDefinition"/> a feature registers becomes a
/// recurring job that runs once per cluster, in the organisation's time zone, and survives restarts.
/// </summary>
public static class JobsSetup
{
    public const string DashboardPath = "/jobs";

    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.QueuePollInterval > TimeSpan.Zero && o.InvisibilityTimeout > TimeSpan.Zero && o.SchedulePollInterval > TimeSpan.Zero,
                $"{JobsOptions.Section}:QueuePollInterval, {JobsOptions.Section}:SchedulePollInterval and {JobsOptions.Section}:InvisibilityTimeout must be positive.")
            .ValidateOnStart();
        builder.Services.AddOptions<OrganisationOptions>().BindConfiguration(OrganisationOptions.Section)
            .Validate(o => OrganisationOptions.TryZone(o.TimeZone) is not null, OrganisationOptions.ValidationMessage).ValidateOnStart();

        // Our own storage, filters and serializer registered before AddHangfire (which only adds what is missing), so
        // nothing goes through Hangfire's static JobStorage.Current or GlobalJobFilters: two app hosts in one process
        // (the tests' two nodes) each keep their own database and their own alerts.
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.AddSingleton(sp =>
        {
            HangfireLogs.Use(sp.GetRequiredService<ILoggerFactory>());
            return Storage(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value, sp.GetRequiredService<IOptions<JobsOptions>>().Value, contentRoot);
        });
        builder.Services.AddSingleton<IJobFilterProvider>(sp => Filters(sp));
        builder.Services.AddSingleton<JobMetrics>();
        builder.Services.AddHangfire((sp, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(HangfireLogs.Use(sp.GetRequiredService<ILoggerFactory>()))
            .UseControlPlaneLook());
        builder.Services.AddScoped<ScheduledJobRunner>();

        var jobs = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        // Every node (with or without a server) keeps the recurring jobs in step with what it registers, so the
        // dashboard lists them even on web-only nodes.
        builder.Services.AddHostedService<RecurringJobSync>();
        if (jobs.Server)
        {
            builder.Services.AddHangfireServer((sp, server) =>
            {
                var options = sp.GetRequiredService<IOptions<JobsOptions>>().Value;
                server.WorkerCount = options.WorkerCount;
                server.SchedulePollingInterval = options.SchedulePollInterval;
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
            });
        }
        return builder;
    }

    private static int _lookApplied;

    /// <summary>
    /// The dashboard in the app's colours. Hangfire keeps dashboard stylesheets in a process-wide list, so it is added
    /// once however many app hosts a process starts (the tests start several).
    /// </summary>
    private static IGlobalConfiguration UseControlPlaneLook(this IGlobalConfiguration config) =>
        Interlocked.Exchange(ref _lookApplied, 1) == 0
            ? config.UseDashboardStylesheet(typeof(JobsSetup).Assembly, "ControlPlane.Jobs.JobsDashboard.css")
            : config;

    /// <summary>Hangfire's dashboard at /jobs: Admins (and Owners) run it, Auditors read it, everyone else is refused.</summary>
    public static WebApplication MapJobsDashboard(this WebApplication app)
    {
        app.MapHangfireDashboard(DashboardPath, new DashboardOptions
        {
            DashboardTitle = "ControlPlane jobs",
            AppPath = "/",
            Authorization = [],
            AsyncAuthorization = [new JobsDashboardAuthorization()],
            IsReadOnlyFunc = JobsDashboardAuthorization.IsReadOnly,
            DisplayStorageConnectionString = false,
        }, app.Services.GetRequiredService<JobStorage>()).RequireAuthorization(Policies.JobsView);
        return app;
    }

    /// <summary>Hangfire's default filters, with retries bounded by Jobs:RetryAttempts and failures raised as alerts.</summary>
    private static JobFilterCollection Filters(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<JobsOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<JobFailureAlerts>();
        var filters = new JobFilterCollection();
        filters.Add(new CaptureCultureAttribute());
        filters.Add(new StatisticsHistoryAttribute());
        filters.Add(new ContinuationsSupportAttribute());
        filters.Add(new AutomaticRetryAttribute { Attempts = options.RetryAttempts, OnAttemptsExceeded = AttemptsExceededAction.Fail });
        filters.Add(new JobFailureAlerts(services.GetRequiredService<IAlerts>(), options.RetryAttempts, logger));
        filters.Add(services.GetRequiredService<JobMetrics>());
        return filters;
    }

    /// <summary>The job storage on the app's database provider and connection string.</summary>
    internal static JobStorage Storage(DatabaseOptions database, JobsOptions jobs, string contentRoot)
    {
        switch (database.Provider)
        {
            case DatabaseProvider.Postgres:
                var postgres = new PostgreSqlStorageOptions
                {
                    SchemaName = "hangfire", // its own schema: the EF model and SchemaTests only look at the default one
                    PrepareSchemaIfNecessary = true,
                    QueuePollInterval = jobs.QueuePollInterval,
                    InvisibilityTimeout = jobs.InvisibilityTimeout,
                    UseSlidingInvisibilityTimeout = true,
                };
                return new PostgreSqlStorage(new NpgsqlConnectionFactory(database.ConnectionString, postgres), postgres);
            case DatabaseProvider.SqlServer:
                return new SqlServerStorage(database.ConnectionString, new SqlServerStorageOptions
                {
                    SchemaName = "HangFire",
                    PrepareSchemaIfNecessary = true,
                    QueuePollInterval = jobs.QueuePollInterval,
                    SlidingInvisibilityTimeout = jobs.InvisibilityTimeout,
                    SqlClientFactory = Microsoft.Data.SqlClient.SqlClientFactory.Instance,
                });
            default:
                return new SQLiteStorage(SqliteJobsFile(database.ConnectionString, contentRoot), new SQLiteStorageOptions
                {
                    QueuePollInterval = jobs.QueuePollInterval,
                    InvisibilityTimeout = jobs.InvisibilityTimeout,
                });
        }
    }

    /// <summary>
    /// A sibling of the app's SQLite file ("controlplane.db" → "controlplane.jobs.db"). Not the same file: Hangfire's
    /// SQLite storage brings its own native SQLite library, and two SQLite libraries in one process do not see each
    /// other's POSIX locks, so sharing a file could corrupt it (sqlite.org, "How To Corrupt", 2.2.1).
    /// </summary>
    internal static string SqliteJobsFile(string connectionString, string contentRoot)
    {
        var csb = new SqliteConnectionStringBuilder(DataSetup.SqliteConnectionString(connectionString, contentRoot));
        if (csb.DataSource is not { Length: > 0 } file || file == ":memory:" || csb.Mode == SqliteOpenMode.Memory)
            return Path.Combine(Path.GetTempPath(), $"controlplane-jobs-{Environment.ProcessId}.db"); // an in-memory app keeps no jobs past its life either
        return Path.Combine(Path.GetDirectoryName(file)!, Path.GetFileNameWithoutExtension(file) + ".jobs" + Path.GetExtension(file));
    }
}

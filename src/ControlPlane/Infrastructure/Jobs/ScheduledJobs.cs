namespace ControlPlane.Infrastructure.Jobs;

/// <summary>
/// Work that runs on a schedule, once per cluster. A feature registers its jobs with
/// <see cref="ScheduledJobRegistration.AddScheduledJob{TJob}"/>; the jobs set-up hands every registered one to the
/// scheduler. A job must be idempotent: the scheduler may run it again after a node dies half-way.
/// </summary>
public interface IScheduledJob
{
    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>One recurring job: its stable id (the scheduler's key), a cron expression in the organisation's time zone, and a title for people.</summary>
public sealed record ScheduledJobDefinition(string Id, Type JobType, string Cron, string Title);

public static class ScheduledJobRegistration
{
    public static IServiceCollection AddScheduledJob<TJob>(this IServiceCollection services, string id, string cron, string title)
        where TJob : class, IScheduledJob
    {
        services.AddScoped<TJob>();
        services.AddSingleton(new ScheduledJobDefinition(id, typeof(TJob), cron, title));
        return services;
    }
}

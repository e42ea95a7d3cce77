using ControlPlane.Infrastructure.Jobs;

namespace ControlPlane.Features.Digests;

public static class DigestsFeature
{
    public static WebApplicationBuilder AddDigests(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<DigestBuilder>();
        builder.Services.AddScoped<DigestSpend>();
        builder.Services.AddScoped<DigestPreferences>();
        builder.Services.AddScheduledJob<DigestJob>(DigestJob.Id, DigestJob.Cron, "Daily and weekly spend digests");
        return builder;
    }
}

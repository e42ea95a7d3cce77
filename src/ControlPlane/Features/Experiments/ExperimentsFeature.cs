using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Infrastructure.Live;

namespace ControlPlane.Features.Experiments;

/// <summary>A/B experiments, callers' feedback (POST /v1/feedback) and shadow tests (issue 15).</summary>
public static class ExperimentsFeature
{
    public static WebApplicationBuilder AddExperiments(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ExperimentBook>();
        builder.Services.AddHostedService<ExperimentBookLoader>();
        builder.Services.AddSingleton<ShadowRunner>();
        builder.Services.AddSingleton<CallExperiments>();
        builder.Services.AddScoped<ExperimentService>();
        builder.Services.AddScoped<ShadowService>();
        builder.Services.AddScoped<Metering.ICallNotes, ExperimentCallNotes>();
        builder.Services.AddClusterEvent<ExperimentsChanged>("experiments.changed", maybeMissed: () => new ExperimentsChanged());
        builder.Services.AddScheduledJob<ExperimentAutoPromoter>(ExperimentAutoPromoter.JobId, "*/5 * * * *", "Promote experiment winners once significant");
        return builder;
    }

    public static WebApplication MapExperimentsEndpoints(this WebApplication app)
    {
        app.MapPost("/v1/feedback", FeedbackEndpoints.HandleAsync).RequireAuthorization(Policies.GatewayCaller).DisableAntiforgery();
        return app;
    }
}

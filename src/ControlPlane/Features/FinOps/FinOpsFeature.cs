namespace ControlPlane.Features.FinOps;

public static class FinOpsFeature
{
    public static WebApplicationBuilder AddFinOps(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<CostCentres>();
        return builder;
    }
}

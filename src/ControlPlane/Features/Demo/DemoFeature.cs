namespace ControlPlane.Features.Demo;

public static class DemoFeature
{
    public static WebApplicationBuilder AddDemoData(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<DemoData>();
        return builder;
    }
}

using k8s;
using k8s.Models;
using Mosaic.Core.Placement;
using Mosaic.Hosting;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Mosaic.Tests.Deploy;

/// <summary>
/// The files under deploy/ parsed as what reads them (the typed Kubernetes model, YAML for compose and Prometheus) and
/// checked against the code's defaults: ports, probes, labels and selectors, role verbs.
/// </summary>
public sealed class DeployFilesTests
{
    private static readonly int ApiPort = new MosaicOptions().Port;
    private static readonly int WorkerMetricsPort = ApiPort + MosaicOptions.MetricsPortOffset;

    [Fact]
    public void Worker_statefulset_keeps_its_volume_probes_its_http1_port_and_its_services_select_its_pods()
    {
        var objects = Manifests("worker.yaml");
        var set = Assert.Single(objects.OfType<V1StatefulSet>());
        var pod = set.Spec.Template;
        AssertSelects(set.Spec.Selector.MatchLabels, pod.Metadata.Labels);
        var container = Assert.Single(pod.Spec.Containers);
        Assert.Equal("worker", container.Args[0]);
        Assert.Equal(ApiPort.ToString(), Arg(container.Args, "--port"));
        Assert.Equal(ApiPort, container.Ports.Single(p => p.Name == "grpc").ContainerPort);
        Assert.Equal(WorkerMetricsPort, container.Ports.Single(p => p.Name == "metrics").ContainerPort);
        Assert.Equal(WorkerMetricsPort.ToString(), pod.Metadata.Annotations["prometheus.io/port"]);

        // The gRPC port is HTTP/2 only: kubelet's HTTP/1.1 probes must go to the metrics port, which answers /health.
        Assert.Equal("/health", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("metrics", container.ReadinessProbe.HttpGet.Port.Value);
        Assert.Equal("metrics", container.LivenessProbe.HttpGet.Port.Value);

        // Shard files live on a claim of the set, mounted where --data points.
        var claim = Assert.Single(set.Spec.VolumeClaimTemplates);
        Assert.Equal(Arg(container.Args, "--data"), container.VolumeMounts.Single(m => m.Name == claim.Metadata.Name).MountPath);

        // Each worker advertises its stable name under the headless service the set is governed by.
        var service = objects.OfType<V1Service>().Single(s => s.Metadata.Name == set.Spec.ServiceName);
        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.StartsWith("$(POD_NAME)." + service.Metadata.Name + ":" + ApiPort, Arg(container.Args, "--advertise"), StringComparison.Ordinal);
        Assert.Contains(container.Env, e => e.Name == "POD_NAME" && e.ValueFrom.FieldRef.FieldPath == "metadata.name");
        AssertSelects(service.Spec.Selector, pod.Metadata.Labels);
        Assert.Equal(ApiPort, service.Spec.Ports.Single(p => p.Name == "grpc").Port);

        var budget = Assert.Single(objects.OfType<V1PodDisruptionBudget>());
        AssertSelects(budget.Spec.Selector.MatchLabels, pod.Metadata.Labels);
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
    }

    [Fact]
    public void Coordinator_deployment_is_ready_on_ready_and_scales_on_cpu_and_mosaics_desired_replicas()
    {
        var objects = Manifests("coordinator.yaml");
        var deployment = Assert.Single(objects.OfType<V1Deployment>());
        var pod = deployment.Spec.Template;
        AssertSelects(deployment.Spec.Selector.MatchLabels, pod.Metadata.Labels);
        var container = Assert.Single(pod.Spec.Containers);
        Assert.Equal(NodeRole.Coordinator.Name(), container.Args[0]);
        Assert.Equal(ApiPort, container.Ports.Single(p => p.Name == "http").ContainerPort);
        Assert.Equal(ApiPort.ToString(), Arg(container.Args, "--port"));
        Assert.Equal("/ready", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("http", container.ReadinessProbe.HttpGet.Port.Value);
        Assert.Equal("/health", container.LivenessProbe.HttpGet.Path);
        Assert.Contains(container.Env, e => e.Name == "Mosaic__Store" && e.ValueFrom.SecretKeyRef.Key == "connection");

        var service = Assert.Single(objects.OfType<V1Service>());
        AssertSelects(service.Spec.Selector, pod.Metadata.Labels);
        Assert.Equal("http", service.Spec.Ports.Single().TargetPort.Value);

        var hpa = Assert.Single(objects.OfType<V2HorizontalPodAutoscaler>());
        Assert.Equal((deployment.Kind, deployment.Metadata.Name), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.True(hpa.Spec.MinReplicas >= 2, "one coordinator is a single point of failure");
        Assert.Contains(hpa.Spec.Metrics, m => m.Type == "Resource" && m.Resource.Name == "cpu" && m.Resource.Target.AverageUtilization > 0);
        var advice = Assert.Single(hpa.Spec.Metrics, m => m.Type == "External");
        Assert.Equal("mosaic_desired_replicas", advice.External.Metric.Name);
        Assert.Equal(NodeRole.Coordinator.Name(), advice.External.Metric.Selector.MatchLabels["role"]);
        // An AverageValue target of 1 makes the HPA want exactly the advised number of pods.
        Assert.Equal("AverageValue", advice.External.Target.Type);
        Assert.Equal("1", advice.External.Target.AverageValue.ToString());
        Assert.True(hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds > 0, "scale-down needs a stabilization window");

        var budget = Assert.Single(objects.OfType<V1PodDisruptionBudget>());
        AssertSelects(budget.Spec.Selector.MatchLabels, pod.Metadata.Labels);
    }

    [Fact]
    public void Compose_runs_every_role_on_the_default_ports_and_prometheus_scrapes_them()
    {
        var compose = Yaml("docker-compose.yml");
        var services = (YamlMappingNode)compose["services"];
        var names = services.Children.Keys.Select(k => k.ToString()).ToList();
        Assert.Contains("postgres", names);
        Assert.Contains("redis", names);
        Assert.Contains("prometheus", names);

        var commands = services.Children
            .Where(s => ((YamlMappingNode)s.Value).Children.ContainsKey("command"))
            .ToDictionary(s => s.Key.ToString(), s => ((YamlSequenceNode)s.Value["command"]).Children.Select(c => c.ToString()).ToList());
        Assert.Equal(2, commands.Values.Count(c => c[0] == NodeRole.Coordinator.Name()));
        Assert.Equal(3, commands.Values.Count(c => c[0] == NodeRole.Worker.Name()));
        Assert.Equal(1, commands.Values.Count(c => c[0] == NodeRole.Gateway.Name()));
        foreach (var (name, command) in commands)
        {
            Assert.True(NodeRoles.Parse(command[0]) is not null, $"{name}: '{command[0]}' is not a role");
            Assert.Equal(ApiPort.ToString(), Arg(command, "--port"));
            if (command[0] != NodeRole.Gateway.Name())
            {
                Assert.Equal($"{name}:{ApiPort}", Arg(command, "--advertise")); // node ids other nodes can resolve
            }
        }

        // Prometheus scrapes every coordinator and gateway on the API port and every worker on its metrics port.
        var targets = ((YamlSequenceNode)Yaml("prometheus.yml")["scrape_configs"]).Children
            .SelectMany(job => ((YamlSequenceNode)job["static_configs"]).Children)
            .SelectMany(c => ((YamlSequenceNode)c["targets"]).Children.Select(t => t.ToString()))
            .ToHashSet();
        foreach (var (name, command) in commands)
        {
            int port = command[0] == NodeRole.Worker.Name() ? WorkerMetricsPort : ApiPort;
            Assert.Contains($"{name}:{port}", targets);
        }

        var dockerfile = File.ReadAllLines(Path.Combine(DeployDirectory, "Dockerfile"));
        var exposed = dockerfile.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal)).Split(' ').Skip(1).ToHashSet();
        Assert.Subset(exposed, new HashSet<string> { ApiPort.ToString(), WorkerMetricsPort.ToString() });
    }

    [Fact]
    public void Every_manifest_parses_as_typed_kubernetes_objects()
    {
        var files = Directory.GetFiles(Path.Combine(DeployDirectory, "k8s"), "*.yaml");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(file));
            Assert.NotEmpty(objects);
            Assert.All(objects, o => Assert.IsAssignableFrom<IKubernetesObject>(o));
        }
    }

    private static void AssertSelects(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
        Assert.All(selector, pair => Assert.Equal(pair.Value, labels[pair.Key]));

    private static string Arg(IList<string> args, string name) => args[args.IndexOf(name) + 1];

    private static List<object> Manifests(string name) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(DeployDirectory, "k8s", name))).ToList();

    private static YamlMappingNode Yaml(string name)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(DeployDirectory, name));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static string DeployDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Mosaic.sln")))
                {
                    return Path.Combine(dir.FullName, "deploy");
                }
            }

            throw new InvalidOperationException("no Mosaic.sln above " + AppContext.BaseDirectory);
        }
    }
}

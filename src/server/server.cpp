#include "server/server.hpp"

#include "admin/admin_api.hpp"
#include "admin/ops_routes.hpp"
#include "admin/policy_admin.hpp"
#include "admin/signin_admin.hpp"
#include "api/engine.hpp"
#include "auth/token_service.hpp"
#include "auth/webticket.hpp"
#include "common/crypto.hpp"
#include "common/log.hpp"
#include "discovery/routes.hpp"
#include "net/http_server.hpp"
#include "net/tls_context.hpp"
#include "pki/dev_ca.hpp"
#include "policy/policy_service.hpp"
#include "presence/hub.hpp"
#include "presence/people_routes.hpp"
#include "im/calls.hpp"
#include "push/push_service.hpp"
#include "admin/push_admin.hpp"
#include "im/history_routes.hpp"
#include "im/messaging.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/metrics.hpp"
#include "server/bootstrap.hpp"
#include "server/edge_role.hpp"
#include "server/front_door.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "web/static_site.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <memory>
#include <csignal>
#include <optional>
#include <ostream>
#include <thread>
#include <vector>

namespace parley::server {

namespace fs = std::filesystem;

namespace {

std::vector<net::ListenerSpec> listener_specs(const Config& cfg) {
  std::vector<net::ListenerSpec> specs;
  auto add = [&](http::Site site, const SiteConfig& s) {
    if (s.https) specs.push_back({site, true, *s.https});
    if (s.http) specs.push_back({site, false, *s.http});
  };
  add(http::Site::internal, cfg.internal_site);
  add(http::Site::external, cfg.external_site);
  return specs;
}

void print_edge(std::ostream& out, const EdgeAddresses& a) {
  auto line = [&out](std::string_view what, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out << "  relay " << what << ":    ";
    for (const auto& x : v) out << "  " << x;
    out << "\n";
  };
  line("UDP", a.udp);
  line("TCP", a.tcp);
  line("TLS", a.tls);
}

void print_banner(std::ostream& out, const Config& cfg, const fs::path& data_dir,
                  const std::vector<net::BoundListener>& bound, const pki::ServerIdentity& identity,
                  const std::vector<DemoUser>& demo, const std::string& external_base,
                  const EdgeAddresses* edge) {
  out << "\nParley is running.\n";
  for (auto site : {http::Site::internal, http::Site::external}) {
    out << "  " << (site == http::Site::internal ? "internal site" : "external site") << ":";
    for (const auto& l : bound)
      if (l.site == site)
        out << "  " << (l.tls ? "https://" : "http://")
            << (l.host.find(':') != std::string::npos ? "[" + l.host + "]" : l.host) << ':'
            << l.port;
    out << (site == http::Site::internal ? "   (admin API, /health, /metrics; keep it private)\n"
                                         : "   (what phones and browsers use)\n");
  }
  if (edge) print_edge(out, *edge);
  if (!external_base.empty())
    out << "  discovery:      " << external_base
        << "/   (point a UCWA client or browser here; users sign in as user@"
        << cfg.sip_domains.front() << ")\n";
  out << "  data directory: " << data_dir.string() << "\n";
  if (!identity.ca_certificate.empty())
    out << "  development CA: " << identity.ca_certificate.string()
        << "   (trust this certificate on clients, e.g. curl --cacert)\n";
  for (const auto& l : bound)
    if (l.site == http::Site::internal && l.tls) {
      out << "  health check:   curl --cacert " << identity.ca_certificate.string() << ' '
          << local_url(l) << "/health\n";
      break;
    }
  out << "\nAdd a user (the admin credential is read from the data directory):\n"
      << "  parley --data-dir " << data_dir.string() << " user add carol@"
      << cfg.sip_domains.front() << " --name \"Carol Example\" --password-stdin\n";
  if (!demo.empty()) {
    out << "\nDemo users (passwords are shown this once):\n";
    for (const auto& u : demo) out << "  " << u.sip_uri << "   password: " << u.password << "\n";
  }
  out << "\nStop with Ctrl-C.\n" << std::flush;
}

pki::ServerIdentity server_identity(const Config& cfg, const fs::path& data_dir) {
  if (!cfg.tls.certificate.empty()) return pki::load_configured_identity(cfg.tls);
  auto [dns, ips] = pki::required_names(cfg);
  auto identity = pki::ensure_development_identity(data_dir / "pki", dns, ips);
  if (identity.ca_created)
    logger("parleyd")->info("development CA created at {}", identity.ca_certificate.string());
  return identity;
}

// roles.frontend = false: a machine that only relays media (DESIGN.md §2, edge servers scaled
// separately). It shares the shared secret with the front ends through [edge] shared_secrets.
int run_edge_only(const Config& cfg, const fs::path& data_dir, std::ostream& out) {
  auto log = logger("parleyd");
  const auto identity = server_identity(cfg, data_dir);
  auto tls = net::make_server_tls_context(identity.certificate_chain_pem, identity.private_key_pem);
  auto edge = start_edge(cfg, data_dir, tls->native_handle(), nullptr);
  const auto where = edge_addresses(*edge);
  write_endpoints_file(data_dir, {}, &where);
  out << "\nParley edge is running (media relay only).\n";
  print_edge(out, where);
  out << std::flush;

  boost::asio::io_context ioc(1);
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (!ec) log->info("signal {} received; stopping the relay", signo);
  });
  ioc.run();
  edge->stop();
  std::error_code ec;
  fs::remove(endpoints_file(data_dir), ec);
  log->info("stopped");
  return 0;
}

// The relay's public ports that follow their listener (configured ":0") become the ports the
// listeners got.
void fill_public_ports(EdgeConfig& e, const EdgeAddresses& bound) {
  const auto fill = [](bool from_listener, std::uint16_t& port, const std::vector<std::string>& where) {
    if (!from_listener || where.empty()) return;
    const auto colon = where.front().rfind(':');
    port = static_cast<std::uint16_t>(std::stoul(where.front().substr(colon + 1)));
  };
  fill(e.udp_port_from_listener, e.public_udp_port, bound.udp);
  fill(e.tcp_port_from_listener, e.public_tcp_port, bound.tcp);
  fill(e.tls_port_from_listener, e.public_tls_port, bound.tls);
}

}  // namespace

int run_server(const Config& given, std::ostream& out) {
  // Mutable until serving starts: the relay's advertised ports are known once it is bound.
  Config config = given;
  const Config& cfg = config;
  auto log = logger("parleyd");
  if (!set_log_level(cfg.log_level)) {
    log->error("unknown log level {}", cfg.log_level);
    return 2;
  }
  // OpenSSL writes TLS records to the socket itself (net/tls_socket.hpp); a peer that already
  // closed must cost an EPIPE error, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    init_crypto();
    const fs::path data_dir = fs::absolute(cfg.data_dir).lexically_normal();
    prepare_data_dir(data_dir);
    if (!cfg.roles.frontend) return run_edge_only(cfg, data_dir, out);
    const fs::path db_file = data_dir / "parley.db";
    const bool new_data_dir = !fs::exists(db_file);

    auto store = storage::open_sqlite_store(db_file);
    log->info("store {} (schema version {})", db_file.string(), store->schema_version());

    const pki::ServerIdentity identity = server_identity(cfg, data_dir);
    auto tls = net::make_server_tls_context(identity.certificate_chain_pem, identity.private_key_pem);

    const std::string credential_sha256 = load_or_create_admin_credential(data_dir);

    std::vector<DemoUser> demo;
    if (cfg.demo && new_data_dir) demo = seed_demo_users(*store, cfg.passwords, cfg.sip_domains.front());

    runtime::Metrics metrics;
    const unsigned threads = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
    runtime::BlockingPool pool(std::max(2u, threads), &metrics);

    http::SiteRouters routers;
    std::optional<FrontDoor> front;  // built once the listeners are bound and URLs are known
    // One io_context per thread. `ioc` runs the listeners, the services' timers and the
    // shutdown; connections are spread over all of them. A context run by one thread needs no
    // strand per connection, and the threads never queue for one scheduler's lock (with two
    // threads on one context, that contention and its wake-ups cost more than the second
    // thread gained: bench/run im).
    boost::asio::io_context ioc(1);
    std::vector<std::unique_ptr<boost::asio::io_context>> more_contexts;
    std::vector<boost::asio::io_context*> connection_contexts{&ioc};
    for (unsigned i = 1; i < threads; ++i) {
      more_contexts.push_back(std::make_unique<boost::asio::io_context>(1));
      connection_contexts.push_back(more_contexts.back().get());
    }
    net::ServerHooks hooks;
    hooks.connection_delta = [&metrics](http::Site s, int d) { metrics.connection_delta(s, d); };
    hooks.transport_error = [&metrics](http::Site s, int status) {
      metrics.request_done(s, "(transport)", status, {});
    };
    net::HttpServer server(
        ioc, tls, cfg.limits, [&front](http::Request& req) { return (*front)(req); }, hooks,
        1, connection_contexts);
    // No request is dispatched before ioc runs, so routes and URLs can be completed after binding.
    const auto bound = server.start(listener_specs(cfg));
    const SiteFacts internal_facts{cfg.internal_site.fqdn,
                                   advertised_https_base(cfg.internal_site, http::Site::internal, bound)};
    const SiteFacts external_facts{cfg.external_site.fqdn,
                                   advertised_https_base(cfg.external_site, http::Site::external, bound)};

    auth::TokenService tokens(*store, pool, cfg.webticket);
    const auto scale = std::max(1u, cfg.ucwa.time_scale);
    presence::Hub presence_hub(presence::UserPresence::Timers{
        std::chrono::milliseconds(std::chrono::seconds(cfg.presence.inactive_after_seconds)) / scale,
        std::chrono::milliseconds(std::chrono::seconds(cfg.presence.away_after_inactive_seconds)) /
            scale});
    policy::PolicyService policies(*store, cfg);
    api::Engine ucwa({&cfg, store.get(), &pool, &tokens, &presence_hub, &policies,
                      internal_facts.https_base, external_facts.https_base});
    // A disabled or removed user loses her tokens and her running applications at once.
    const admin::AdminContext admin_ctx{
        store.get(), &pool, cfg.passwords, credential_sha256,
        [&tokens, &ucwa](const std::string& sip) {
          tokens.revoke_user_blocking(sip);
          ucwa.sign_out_user(sip);
        }};
    admin::register_ops_routes(routers.internal, *store, pool, metrics);
    admin::register_admin_routes(routers.internal, admin_ctx);
    admin::register_signin_admin_routes(routers.internal, admin_ctx, &tokens);
    auth::register_webticket_routes(routers, {store.get(), &pool, &tokens, cfg, {}});
    const auto set_exposed_web_url = discovery::register_routes(
        routers, {&cfg, internal_facts.https_base, external_facts.https_base, &tokens, store.get(),
                  &pool});
    admin::register_policy_admin_routes(
        routers.internal, admin_ctx, policies,
        admin::SessionDirectory{
            [&ucwa] {
              std::vector<admin::SessionInfo> out;
              for (auto& s : ucwa.sessions())
                out.push_back({s.id, s.user, s.device_class, s.user_agent, s.site,
                               s.client_network_type, s.network_type, s.idle_seconds, s.available,
                               s.event_channels, s.parked});
              return out;
            },
            [&ucwa](const std::string& id) { return ucwa.end_session(id); }});
    // Changes made by an administrator apply to the running server at once.
    const auto apply_service_config = [&] {
      const auto mcx = policies.mcx("");
      set_exposed_web_url(mcx.exposed_web_url == "Internal" ? ExposedWebUrl::internal
                                                            : ExposedWebUrl::external);
      tokens.set_token_lifetime(policies.webservice("").token_lifetime_seconds);
    };
    apply_service_config();  // what the store holds from earlier changes
    policies.on_change([&](policy::Kind kind) {
      if (kind == policy::Kind::mobility) ucwa.mobility_policy_changed();
      else apply_service_config();
    });
    ucwa.register_routes(routers);
    presence::register_people_routes(ucwa, routers);
    im::MessagingLimits im_limits;
    im_limits.ring_timeout = std::chrono::seconds(cfg.im.ring_timeout_seconds);
    im_limits.retention_days = cfg.im.retention_days;
    const auto messaging = im::register_messaging_routes(ucwa, routers, im_limits);
    im::CallLimits call_limits;
    call_limits.ring_timeout = std::chrono::seconds(cfg.calls.ring_timeout_seconds);
    im::register_call_routes(ucwa, routers, call_limits, *messaging);
    im::register_history_routes(
        ucwa, routers,
        [messaging](http::Request& req, api::Application& app,
                    const storage::ConversationLogRecord& log) {
          return im::continue_messaging(*messaging, req, app, log);
        });
    // Push: wakes devices whose app is in the background (APNs, FCM, Web Push).
    const auto push_service = push::start_push(ucwa, cfg, routers, ioc.get_executor());
    admin::register_push_admin_routes(
        routers.internal, admin_ctx,
        admin::PushAdmin{[push_service](std::string user) { return push::push_status(*push_service, std::move(user)); },
                         [push_service](std::string user, std::string device) {
                           return push::test_push(*push_service, std::move(user), std::move(device));
                         }});
    {
      const push::PushCounters* c = &push::counters(*push_service);
      metrics.add_counter("parley_push_sent_total", "Push notifications the providers accepted.",
                          [c] { return static_cast<double>(c->sent.load()); });
      metrics.add_counter("parley_push_failed_total", "Push notifications the providers refused for good.",
                          [c] { return static_cast<double>(c->failed.load()); });
      metrics.add_counter("parley_push_retries_total", "Push attempts retried after 429, 5xx or no answer.",
                          [c] { return static_cast<double>(c->retried.load()); });
      metrics.add_counter("parley_push_expired_total", "Push notifications dropped when their TTL ran out.",
                          [c] { return static_cast<double>(c->expired.load()); });
      metrics.add_counter("parley_push_unregistered_total",
                          "Registrations deleted because the provider said the token is dead.",
                          [c] { return static_cast<double>(c->unregistered.load()); });
    }
    web::register_routes(routers, cfg.web.client_dir.empty() ? web::client_dir() : cfg.web.client_dir);  // after discovery: it wraps GET /
    ucwa.start(ioc.get_executor());
    // The figures the seed's operators watched: sessions, and those kept connected.
    metrics.add_gauge("parley_ucwa_applications", "UCWA applications running now.",
                      [&ucwa] { return static_cast<double>(ucwa.counts().applications); });
    metrics.add_gauge("parley_ucwa_available_applications",
                      "UCWA applications that made themselves available (publish presence).",
                      [&ucwa] { return static_cast<double>(ucwa.counts().available); });
    metrics.add_gauge("parley_ucwa_parked_event_channels",
                      "Event channels with a pending GET held now.",
                      [&ucwa] { return static_cast<double>(ucwa.counts().parked_channels); });
    front.emplace(routers, metrics, internal_facts, external_facts);
    // The relay runs on its own threads; the front end only mints its credentials.
    std::unique_ptr<relay::Edge> edge;
    std::optional<EdgeAddresses> edge_where;
    if (cfg.roles.edge) {
      edge = start_edge(cfg, data_dir, tls->native_handle(), &metrics);
      edge_where = edge_addresses(*edge);
      fill_public_ports(config.edge, *edge_where);
    }
    write_endpoints_file(data_dir, bound, edge_where ? &*edge_where : nullptr);

    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      log->info("signal {} received; finishing requests in flight (at most {} s)", signo,
                cfg.limits.shutdown_grace_seconds);
      ucwa.shutdown();  // waiting P-GETs answer now instead of holding the shutdown
      server.shutdown(std::chrono::seconds(cfg.limits.shutdown_grace_seconds), [&ioc] { ioc.stop(); });
    });

    print_banner(out, cfg, data_dir, bound, identity, demo, external_facts.https_base,
                 edge_where ? &*edge_where : nullptr);
    log->info("serving with {} thread(s)", threads);

    std::vector<std::thread> workers;
    {
      // The other contexts have nothing to do between connections; they run until the server
      // has stopped, which is when `ioc` runs out of work.
      std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> keep;
      for (auto& c : more_contexts) {
        keep.push_back(boost::asio::make_work_guard(*c));
        workers.emplace_back([c = c.get()] { c->run(); });
      }
      ioc.run();
      for (auto& c : more_contexts) c->stop();
    }
    for (auto& t : workers) t.join();
    // Connections cut off at the end of the grace period are destroyed here, while the
    // services their handlers refer to still exist.
    more_contexts.clear();

    if (edge) edge->stop();
    pool.stop();
    std::error_code ec;
    fs::remove(endpoints_file(data_dir), ec);
    store.reset();  // closes the database cleanly (checkpoints the WAL)
    log->info("stopped");
    return 0;
  } catch (const std::exception& e) {
    log->critical("cannot start: {}", e.what());
    return 1;
  }
}

}  // namespace parley::server

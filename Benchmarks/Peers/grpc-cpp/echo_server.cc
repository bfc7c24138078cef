// The gRPC C++ peer's server for the transport benchmark: the echo service over mutual TLS
// on 127.0.0.1. Every client must present a certificate that the CA verifies.
//
//   echo_server --ca ca.crt.pem --cert server.crt.pem --key server.key.pem [--port N]
//               [--api callback|sync]
//
// Port 0 (the default) lets the system choose; the server prints "port N pid P" on standard
// output once it listens, logs the first caller's identity on standard error, and stops on
// SIGTERM or SIGINT.

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include "echo.grpc.pb.h"

namespace {

using dh::bench::v1::Echo;
using dh::bench::v1::EchoRequest;
using dh::bench::v1::EchoResponse;

std::string ReadFile(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        std::fprintf(stderr, "echo_server: cannot read %s\n", path.c_str());
        std::exit(2);
    }
    std::ostringstream contents;
    contents << file.rdbuf();
    return contents.str();
}

// Logs, once, how the first caller authenticated: the transport security and the client
// certificate's names as gRPC verified them.
std::once_flag peer_logged;

void LogPeer(const grpc::ServerContextBase& context) {
    std::call_once(peer_logged, [&context] {
        std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
        std::string line = "echo_server: first caller:";
        for (const char* name : {GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME,
                                 GRPC_TRANSPORT_SECURITY_LEVEL_PROPERTY_NAME,
                                 GRPC_X509_SUBJECT_PROPERTY_NAME,
                                 GRPC_X509_SAN_PROPERTY_NAME}) {
            for (const grpc::string_ref& value : auth->FindPropertyValues(name)) {
                line += " ";
                line += name;
                line += "=";
                line.append(value.data(), value.size());
            }
        }
        line += auth->IsPeerAuthenticated() ? " (peer authenticated)" : " (peer NOT authenticated)";
        std::fprintf(stderr, "%s\n", line.c_str());
    });
}

// The callback API: handlers run on gRPC's own threads without a thread per call.
class CallbackEcho final : public Echo::CallbackService {
    grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context, const EchoRequest* request,
                                  EchoResponse* response) override {
        LogPeer(*context);
        response->set_sequence(request->sequence());
        response->set_payload(request->payload());
        grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
        reactor->Finish(grpc::Status::OK);
        return reactor;
    }

    grpc::ServerReadReactor<EchoRequest>* Collect(grpc::CallbackServerContext* context,
                                                  EchoResponse* response) override {
        LogPeer(*context);
        return new Counter(response);
    }

    // Reads the stream to its end, counting; answers with the count and the last message's
    // first payload byte, as the dh-rpc/1 benchmark's service does.
    class Counter final : public grpc::ServerReadReactor<EchoRequest> {
      public:
        explicit Counter(EchoResponse* response) : response_(response) { StartRead(&request_); }

        void OnReadDone(bool ok) override {
            if (!ok) {
                response_->set_sequence(count_);
                Finish(grpc::Status::OK);
                return;
            }
            count_ += 1;
            response_->set_payload(request_.payload().substr(0, 1));
            StartRead(&request_);
        }

        void OnDone() override { delete this; }

      private:
        EchoResponse* response_;
        EchoRequest request_;
        int64_t count_ = 0;
    };
};

// The synchronous API: gRPC's thread pool runs each handler to completion.
class SyncEcho final : public Echo::Service {
    grpc::Status Get(grpc::ServerContext* context, const EchoRequest* request,
                     EchoResponse* response) override {
        LogPeer(*context);
        response->set_sequence(request->sequence());
        response->set_payload(request->payload());
        return grpc::Status::OK;
    }

    grpc::Status Collect(grpc::ServerContext* context, grpc::ServerReader<EchoRequest>* reader,
                         EchoResponse* response) override {
        LogPeer(*context);
        EchoRequest request;
        int64_t count = 0;
        while (reader->Read(&request)) {
            count += 1;
            response->set_payload(request.payload().substr(0, 1));
        }
        response->set_sequence(count);
        return grpc::Status::OK;
    }
};

[[noreturn]] void Usage() {
    std::fprintf(stderr,
                 "usage: echo_server --ca FILE --cert FILE --key FILE [--port N] [--api callback|sync]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string ca, cert, key, api = "callback";
    int port = 0;
    for (int index = 1; index < argc; index += 2) {
        std::string option = argv[index];
        if (index + 1 >= argc) Usage();
        std::string value = argv[index + 1];
        if (option == "--ca") ca = value;
        else if (option == "--cert") cert = value;
        else if (option == "--key") key = value;
        else if (option == "--port") port = std::atoi(value.c_str());
        else if (option == "--api") api = value;
        else Usage();
    }
    if (ca.empty() || cert.empty() || key.empty() || (api != "callback" && api != "sync")) Usage();

    // SIGTERM and SIGINT are taken by sigwait below, on this thread only: block them before
    // gRPC starts its threads, which inherit the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    // Mutual TLS: the client's certificate is required and verified against the CA.
    grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = ReadFile(ca);
    tls.pem_key_cert_pairs.push_back({ReadFile(key), ReadFile(cert)});

    CallbackEcho callback_service;
    SyncEcho sync_service;
    grpc::ServerBuilder builder;
    int selected_port = 0;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::SslServerCredentials(tls),
                             &selected_port);
    if (api == "callback") builder.RegisterService(&callback_service);
    else builder.RegisterService(&sync_service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || selected_port == 0) {
        std::fprintf(stderr, "echo_server: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    std::printf("port %d pid %d\n", selected_port, static_cast<int>(getpid()));
    std::fflush(stdout);

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server->Shutdown();
    server->Wait();
    return 0;
}

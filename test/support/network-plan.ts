import { IsolatedIotNetworkProps } from "../../constructs/network";

/** The address plan the network tests build: two zones, /20 device subnets, /26 endpoint subnets, two office ranges. */
export const NETWORK_PLAN: IsolatedIotNetworkProps = {
  vpcCidr: "10.10.0.0/16",
  deviceSubnets: [
    { az: "eu-west-1a", cidr: "10.10.0.0/20" },
    { az: "eu-west-1b", cidr: "10.10.16.0/20" },
  ],
  endpointSubnets: [
    { az: "eu-west-1a", cidr: "10.10.240.0/26" },
    { az: "eu-west-1b", cidr: "10.10.240.64/26" },
  ],
  officeCidrs: ["192.168.0.0/16", "172.20.0.0/16"],
};

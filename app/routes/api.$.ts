import { errorResponse } from "~/utils/http.server";

const unknown = () => errorResponse(404, "not_found", "No such API endpoint.");

export async function loader() {
  return unknown();
}

export async function action() {
  return unknown();
}

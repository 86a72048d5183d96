/**
 * HTML escaping for text from outside (server messages, response bodies) in the
 * job summary. Line breaks become character references too: a blank line in
 * raw text would end the HTML block, and the rest would render as markdown.
 */
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '\n': '&#10;',
  '\r': '&#13;'
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'\n\r]/g, c => ENTITIES[c])
}

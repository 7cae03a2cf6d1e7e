// Shows every <time data-local> in the reader's own time zone: the server writes UTC (which
// stays when JavaScript is off, and in the title for whoever wants it); "date" elements show
// the local day, "datetime" ones the local day and time with the zone's name.
const DAY = { day: "numeric", month: "long", year: "numeric" };
const formats = {
  date: new Intl.DateTimeFormat("en-GB", DAY),
  datetime: new Intl.DateTimeFormat("en-GB", {
    ...DAY, hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  }),
};
for (const element of document.querySelectorAll("time[data-local]")) {
  const moment = new Date(element.dateTime);
  const format = formats[element.dataset.local];
  if (format && !Number.isNaN(moment.getTime())) element.textContent = format.format(moment);
}
